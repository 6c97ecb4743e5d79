/**
 * Login records (utmp(5), glibc x86-64 layout: 384 bytes each). `who -b` reads the boot
 * record of /run/utmp and `last` reads /var/log/wtmp; systemd wrote both with the real
 * start time, so the boot records move to the VM's boot, and wtmp gains the sessions of
 * the weeks before (root from the bastion, as the server's own terminal logs in).
 */
import { existsSync, readFileSync } from 'node:fs';
import { metaOf, writeDated } from './write.ts';

export const UTMP_RECORD = 384;
export const UT = { RUN_LVL: 1, BOOT_TIME: 2, USER_PROCESS: 7, DEAD_PROCESS: 8 } as const;
const OFF = { type: 0, pid: 4, line: 8, id: 40, user: 44, host: 76, session: 336, sec: 340, usec: 344, addr: 348 } as const;

export interface UtmpEntry {
  type: number;
  pid: number;
  line: string;
  id: string;
  user: string;
  host: string;
  t: number;
  /** IPv4 address of `host`, when it is one. */
  addr?: string;
}

function putText(b: Buffer, off: number, len: number, s: string): void {
  b.write(s.slice(0, len), off, len, 'latin1');
}

export function encodeUtmp(e: UtmpEntry): Buffer {
  const b = Buffer.alloc(UTMP_RECORD);
  b.writeInt16LE(e.type, OFF.type);
  b.writeInt32LE(e.pid, OFF.pid);
  putText(b, OFF.line, 32, e.line);
  putText(b, OFF.id, 4, e.id);
  putText(b, OFF.user, 32, e.user);
  putText(b, OFF.host, 256, e.host);
  b.writeInt32LE(e.pid, OFF.session);
  b.writeInt32LE(Math.floor(e.t / 1000), OFF.sec);
  b.writeInt32LE(Math.floor((e.t % 1000) * 1000), OFF.usec);
  if (e.addr) e.addr.split('.').forEach((o, i) => b.writeUInt8(Number(o), OFF.addr + i));
  return b;
}

function readText(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len).toString('latin1');
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

export function decodeUtmp(b: Buffer): UtmpEntry {
  return {
    type: b.readInt16LE(OFF.type), pid: b.readInt32LE(OFF.pid), line: readText(b, OFF.line, 32), id: readText(b, OFF.id, 4),
    user: readText(b, OFF.user, 32), host: readText(b, OFF.host, 256), t: b.readInt32LE(OFF.sec) * 1000 + Math.floor(b.readInt32LE(OFF.usec) / 1000),
  };
}

/** The records of a utmp/wtmp file, each as its raw bytes. */
function recordsOf(path: string): Buffer[] {
  if (!existsSync(path)) return [];
  const all = readFileSync(path);
  const out: Buffer[] = [];
  for (let o = 0; o + UTMP_RECORD <= all.length; o += UTMP_RECORD) out.push(Buffer.from(all.subarray(o, o + UTMP_RECORD)));
  return out;
}

/** Boot and run-level records moved to `boot` (their order and the rest of each record kept). */
function moveBootRecords(records: Buffer[], realStart: number, boot: number): Buffer[] {
  return records.map((r) => {
    const e = decodeUtmp(r);
    if (e.type !== UT.BOOT_TIME && e.type !== UT.RUN_LVL) return r;
    const t = Math.max(boot, e.t - realStart + boot);
    r.writeInt32LE(Math.floor(t / 1000), OFF.sec);
    return r;
  });
}

/**
 * The boot before this one, as systemd-update-utmp records it (boot, run level) and its
 * shutdown just before this boot: `last reboot` shows a machine that has been rebooted before.
 */
function previousBoot(at: number, nextBoot: number, kernel: string): UtmpEntry[] {
  const sys = { line: '~', id: '~~', host: kernel };
  // A run-level record's pid holds the level reached ('5') and the one before (none at boot).
  return [
    { ...sys, type: UT.BOOT_TIME, pid: 0, user: 'reboot', t: at },
    { ...sys, type: UT.RUN_LVL, pid: 0x35, user: 'runlevel', t: at + 9_000 },
    { ...sys, type: UT.RUN_LVL, pid: 0, user: 'shutdown', t: nextBoot - 41_000 },
  ];
}

/** lastlog(8)'s record: login time, line and host of a user's last login, at offset uid × 292. */
export const LASTLOG_RECORD = 292;

/** Writes `e` as `uid`'s last login in a lastlog file (sparse, one record per uid), its mtime the login. */
export function writeLastlog(e: Pick<UtmpEntry, 'line' | 'host' | 't'>, uid = 0, path = '/var/log/lastlog'): string {
  const all = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  const size = Math.max(all.length, (uid + 1) * LASTLOG_RECORD);
  const b = Buffer.alloc(size);
  all.copy(b);
  const off = uid * LASTLOG_RECORD;
  b.fill(0, off, off + LASTLOG_RECORD);
  b.writeInt32LE(Math.floor(e.t / 1000), off);
  putText(b, off + 4, 32, e.line);
  putText(b, off + 36, 256, e.host);
  writeDated(path, b, metaOf(path, 0o664), e.t);
  return path;
}

/**
 * Rewrites /run/utmp's boot record and /var/log/wtmp in time order: past sessions before the
 * boot, the (moved) boot records, past sessions since, then whatever the VM logged since it
 * really started.
 */
export function writeLoginRecords(
  past: UtmpEntry[],
  clock: { boot: number; started: number },
  paths = { utmp: '/run/utmp', wtmp: '/var/log/wtmp' },
  earlierBoot?: number,
): string[] {
  const written: string[] = [];
  if (existsSync(paths.utmp)) {
    writeDated(paths.utmp, Buffer.concat(moveBootRecords(recordsOf(paths.utmp), clock.started, clock.boot)), metaOf(paths.utmp, 0o664), clock.started);
    written.push(paths.utmp);
  }
  const live = moveBootRecords(recordsOf(paths.wtmp), clock.started, clock.boot);
  const isBoot = (r: Buffer): boolean => [UT.BOOT_TIME, UT.RUN_LVL].includes(decodeUtmp(r).type as 1 | 2);
  const kernel = live.map(decodeUtmp).find((e) => e.type === UT.BOOT_TIME)?.host ?? '';
  const sorted = [...past, ...(earlierBoot === undefined ? [] : previousBoot(earlierBoot, clock.boot, kernel))].sort((a, b) => a.t - b.t);
  const records = [
    ...sorted.filter((e) => e.t < clock.boot).map(encodeUtmp),
    ...live.filter(isBoot),
    ...sorted.filter((e) => e.t >= clock.boot).map(encodeUtmp),
    ...live.filter((r) => !isBoot(r)),
  ];
  writeDated(paths.wtmp, Buffer.concat(records), metaOf(paths.wtmp, 0o664), Math.max(clock.started, sorted.at(-1)?.t ?? 0));
  written.push(paths.wtmp);
  return written;
}
