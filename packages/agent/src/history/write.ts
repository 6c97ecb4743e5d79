/**
 * Writing history into the guest's files the way the services' own tools would have left
 * them: owner and mode of the live file, rotated generations `.1` then `.2.gz`… (logrotate's
 * delaycompress), and each file's mtime at its last line.
 */
import { appendFileSync, chownSync, closeSync, existsSync, ftruncateSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface FileMeta {
  uid: number;
  gid: number;
  mode: number;
}

/** The live file's owner and mode; for a missing file its directory's owner and `mode`. */
export function metaOf(path: string, mode = 0o644): FileMeta {
  if (existsSync(path)) {
    const s = statSync(path);
    return { uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 };
  }
  const d = existsSync(dirname(path)) ? statSync(dirname(path)) : { uid: 0, gid: 0 };
  return { uid: d.uid, gid: d.gid, mode };
}

/**
 * Replaces a file's content. An existing file is rewritten in place, without O_CREAT: that
 * keeps its inode for a service appending to it, and the kernel refuses even root an
 * O_CREAT open of another user's file in a sticky log directory (protected_regular).
 */
function replaceContent(path: string, content: string | Buffer, mode: number): void {
  if (!existsSync(path)) {
    writeFileSync(path, content, { mode });
    return;
  }
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, 0);
    writeSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
}

/** Writes `content` with `meta`, its times set to `mtime` (epoch ms). */
export function writeDated(path: string, content: string | Buffer, meta: FileMeta, mtime: number): void {
  mkdirSync(dirname(path), { recursive: true });
  replaceContent(path, content, meta.mode);
  chownSync(path, meta.uid, meta.gid);
  setTimes(path, mtime);
}

export function setTimes(path: string, t: number): void {
  const s = t / 1000;
  utimesSync(path, s, s);
}

/**
 * Puts `history` in front of what the file holds now, in place: a service that has it open
 * for appending (O_APPEND) keeps writing to the same file after it. The mtime stays the live
 * one when the file had lines of its own, else it is the history's last line.
 */
export function prependHistory(path: string, history: string, lastLineAt: number, meta = metaOf(path)): void {
  const live = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  const liveMtime = existsSync(path) ? lstatSync(path).mtimeMs : 0;
  mkdirSync(dirname(path), { recursive: true });
  replaceContent(path, Buffer.concat([Buffer.from(history), live]), meta.mode);
  chownSync(path, meta.uid, meta.gid);
  setTimes(path, live.length > 0 ? liveMtime : lastLineAt);
}

/** One rotated generation: its text and the time of its last line. */
export interface Generation {
  text: string;
  end: number;
}

/**
 * Older generations of a log, newest first: `<base>.1` plain, `<base>.2.gz` and on
 * compressed. Empty generations are skipped, so the numbering stays dense.
 */
export function writeRotated(base: string, generations: Generation[], meta: FileMeta): string[] {
  const written: string[] = [];
  let n = 1;
  for (const g of generations) {
    if (!g.text) continue;
    const path = n === 1 ? `${base}.1` : `${base}.${n}.gz`;
    writeDated(path, n === 1 ? g.text : gzipSync(g.text), meta, g.end);
    written.push(path);
    n++;
  }
  return written;
}

/** Appends one line; a new file gets its directory's owner. */
export function appendLine(path: string, line: string, at: number): void {
  const meta = metaOf(path);
  const isNew = !existsSync(path);
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${line}\n`, { mode: meta.mode });
  if (isNew) chownSync(path, meta.uid, meta.gid);
  setTimes(path, at);
}
