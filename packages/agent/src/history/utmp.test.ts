import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeUtmp, encodeUtmp, LASTLOG_RECORD, UT, UTMP_RECORD, writeLastlog, writeLoginRecords } from './utmp.ts';

const boot = Date.parse('2026-10-19T02:16:47Z');
const started = Date.parse('2026-11-29T18:16:40Z');

test('utmp records round-trip in glibc\'s 384-byte layout', () => {
  const e = { type: UT.USER_PROCESS, pid: 4242, line: 'pts/0', id: 'ts/0', user: 'root', host: '172.16.5.1', t: started + 123, addr: '172.16.5.1' };
  const b = encodeUtmp(e);
  assert.equal(b.length, UTMP_RECORD);
  const { addr: _addr, ...rest } = e;
  assert.deepEqual(decodeUtmp(b), rest);
  assert.deepEqual([...b.subarray(348, 352)], [172, 16, 5, 1]);
});

test('wtmp: the real boot record moves to the VM\'s boot, past sessions fall before and after it in time order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-utmp-'));
  try {
    const paths = { utmp: join(dir, 'utmp'), wtmp: join(dir, 'wtmp') };
    const realBoot = encodeUtmp({ type: UT.BOOT_TIME, pid: 0, line: '~', id: '~~', user: 'reboot', host: '6.1.0', t: started });
    const realLogin = encodeUtmp({ type: UT.USER_PROCESS, pid: 900, line: 'pts/0', id: 'ts/0', user: 'root', host: '172.16.5.1', t: started + 5000 });
    writeFileSync(paths.utmp, realBoot);
    writeFileSync(paths.wtmp, Buffer.concat([realBoot, realLogin]));
    const before = { type: UT.USER_PROCESS, pid: 7, line: 'pts/1', id: 'ts/1', user: 'root', host: 'x', t: boot - 86_400_000 };
    const after = { type: UT.USER_PROCESS, pid: 8, line: 'pts/1', id: 'ts/1', user: 'root', host: 'x', t: boot + 86_400_000 };
    writeLoginRecords([after, before], { boot, started }, paths);
    const recs = (f: string) => { const all = readFileSync(f); return Array.from({ length: all.length / UTMP_RECORD }, (_, i) => decodeUtmp(all.subarray(i * UTMP_RECORD, (i + 1) * UTMP_RECORD))); };
    assert.deepEqual(recs(paths.wtmp).map((r) => [r.type, r.t]), [[UT.USER_PROCESS, before.t], [UT.BOOT_TIME, Math.floor(boot / 1000) * 1000], [UT.USER_PROCESS, after.t], [UT.USER_PROCESS, started + 5000]]);
    assert.deepEqual(recs(paths.utmp).map((r) => [r.type, r.t]), [[UT.BOOT_TIME, Math.floor(boot / 1000) * 1000]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wtmp: the boot before this one comes first, with its shutdown just before this boot, on the same kernel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-utmp-'));
  try {
    const paths = { utmp: join(dir, 'utmp'), wtmp: join(dir, 'wtmp') };
    writeFileSync(paths.wtmp, encodeUtmp({ type: UT.BOOT_TIME, pid: 0, line: '~', id: '~~', user: 'reboot', host: '6.1.0-9', t: started }));
    const earlier = boot - 40 * 86_400_000;
    writeLoginRecords([], { boot, started }, paths, earlier);
    const all = readFileSync(paths.wtmp);
    const recs = Array.from({ length: all.length / UTMP_RECORD }, (_, i) => decodeUtmp(all.subarray(i * UTMP_RECORD, (i + 1) * UTMP_RECORD)));
    assert.deepEqual(recs.map((r) => [r.user, r.line, r.host]), [['reboot', '~', '6.1.0-9'], ['runlevel', '~', '6.1.0-9'], ['shutdown', '~', '6.1.0-9'], ['reboot', '~', '6.1.0-9']]);
    assert.ok(recs[0]!.t === earlier && recs[2]!.t < boot && recs[2]!.t > boot - 120_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lastlog: root\'s record holds its last login (time, line, host), other users\' records are kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-lastlog-'));
  try {
    const path = join(dir, 'lastlog');
    const other = Buffer.alloc(LASTLOG_RECORD * 2);
    other.writeInt32LE(1234, LASTLOG_RECORD);
    writeFileSync(path, other);
    writeLastlog({ line: 'pts/1', host: '172.16.5.1', t: started }, 0, path);
    const b = readFileSync(path);
    assert.equal(b.length, LASTLOG_RECORD * 2);
    assert.equal(b.readInt32LE(0), Math.floor(started / 1000));
    assert.equal(b.subarray(4, 9).toString(), 'pts/1');
    assert.equal(b.subarray(36, 46).toString(), '172.16.5.1');
    assert.equal(b.readInt32LE(LASTLOG_RECORD), 1234);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
