/**
 * A minimal writer for the "newc" cpio format the kernel unpacks as an initramfs.
 * Written here (not `cpio -o`) so the archive is byte-for-byte reproducible: fixed
 * mtimes, uid/gid 0, entries in the caller's order — the cache key stays honest.
 */
import { gzipSync } from 'node:zlib';

export interface CpioEntry {
  /** Path inside the archive, without a leading slash (`bin/busybox`). */
  path: string;
  type: 'dir' | 'file' | 'symlink';
  /** Permission bits (0o755…). */
  mode: number;
  /** File contents, or the symlink target. */
  data?: Buffer | string;
}

const TYPE_BITS = { dir: 0o040000, file: 0o100000, symlink: 0o120000 } as const;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(len: number): Buffer {
  return Buffer.alloc((4 - (len % 4)) % 4);
}

function encodeEntry(ino: number, path: string, mode: number, data: Buffer, nlink: number): Buffer[] {
  const name = Buffer.from(`${path}\0`);
  const header = Buffer.from(
    '070701' +
      hex8(ino) + hex8(mode) + hex8(0) + hex8(0) + hex8(nlink) + hex8(0) +
      hex8(data.length) + hex8(0) + hex8(0) + hex8(0) + hex8(0) +
      hex8(name.length) + hex8(0),
  );
  const head = Buffer.concat([header, name]);
  return [head, pad4(head.length), data, pad4(data.length)];
}

/** Packs entries into a gzip-compressed newc archive (directories must precede their contents). */
export function packInitramfs(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
    parts.push(...encodeEntry(ino++, e.path, TYPE_BITS[e.type] | (e.mode & 0o7777), data, e.type === 'dir' ? 2 : 1));
  }
  parts.push(...encodeEntry(0, 'TRAILER!!!', 0, Buffer.alloc(0), 1));
  return gzipSync(Buffer.concat(parts), { level: 6 });
}
