import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prependHistory, writeRotated } from './write.ts';
import { defaultGateway } from './history-keeper.ts';

test('history goes in front of a live log in place: a service appending to it keeps writing to the same file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-hist-'));
  try {
    const log = join(dir, 'access.log');
    writeFileSync(log, 'live 1\n');
    const fd = openSync(log, 'a');
    const ino = statSync(log).ino;
    prependHistory(log, 'old 1\nold 2\n', Date.parse('2026-11-01T00:00:00Z'));
    writeSync(fd, 'live 2\n');
    closeSync(fd);
    assert.equal(readFileSync(log, 'utf8'), 'old 1\nold 2\nlive 1\nlive 2\n');
    assert.equal(statSync(log).ino, ino);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rotated generations: .1 plain, then .N.gz, empty ones skipped, each dated at its last line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-hist-'));
  try {
    const base = join(dir, 'access.log');
    const t1 = Date.parse('2026-11-28T23:59:00Z');
    const t2 = Date.parse('2026-11-26T23:50:00Z');
    writeRotated(base, [{ text: 'yesterday\n', end: t1 }, { text: '', end: 0 }, { text: 'older\n', end: t2 }], { uid: process.getuid!(), gid: process.getgid!(), mode: 0o640 });
    assert.equal(readFileSync(`${base}.1`, 'utf8'), 'yesterday\n');
    assert.equal(gunzipSync(readFileSync(`${base}.2.gz`)).toString(), 'older\n');
    assert.equal(existsSync(`${base}.3.gz`), false);
    assert.equal(statSync(`${base}.1`).mtimeMs, t1);
    assert.equal(statSync(`${base}.2.gz`).mode & 0o777, 0o640);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the default gateway is read from /proc/net/route\'s little-endian hex', () => {
  const routes = 'Iface\tDestination\tGateway \tFlags\n eth0\t00000000\t0196A8C0\t0003\n eth0\t0096A8C0\t00000000\t0001\n';
  assert.equal(defaultGateway(routes), '192.168.150.1');
  assert.equal(defaultGateway('Iface\tDestination\tGateway\n'), undefined);
});
