/**
 * A small ustar writer. The per-VM config disk is a raw tar archive that the initramfs
 * unpacks over the root (`tar -xf /dev/vdX`): no filesystem to make, no staging directory,
 * nothing to mount — and the same disk works for QEMU and Firecracker.
 */

export interface TarEntry {
  /** Path inside the guest, absolute or relative to / (`/etc/hostname`). */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode?: number;
  /** File content, or the symlink target. */
  data?: string | Buffer;
}

const BLOCK_BYTES = 512;
const NAME_MAX_BYTES = 100;
const PREFIX_MAX_BYTES = 155;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= NAME_MAX_BYTES) return { name: path, prefix: '' };
  const cut = path.lastIndexOf('/', PREFIX_MAX_BYTES);
  const prefix = path.slice(0, cut);
  const name = path.slice(cut + 1);
  if (cut <= 0 || Buffer.byteLength(name) > NAME_MAX_BYTES || Buffer.byteLength(prefix) > PREFIX_MAX_BYTES) {
    throw new Error(`tar: path too long for ustar: ${path}`);
  }
  return { name, prefix };
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(BLOCK_BYTES);
  const rel = e.path.replace(/^\/+/, '') + (e.type === 'dir' ? '/' : '');
  const { name, prefix } = splitName(rel);
  const mode = e.mode ?? (e.type === 'file' ? 0o644 : e.type === 'dir' ? 0o755 : 0o777);
  h.write(name, 0, 'utf8');
  h.write(octal(mode, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(0, 12), 136);
  h.write('        ', 148);
  h.write(e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2', 156);
  if (e.type === 'symlink') h.write(String(e.data ?? ''), 157, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write('root', 265);
  h.write('root', 297);
  h.write(prefix, 345, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** Serialises entries (parents before children) into a tar archive padded to 10 KiB. */
export function packTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.type === 'file' ? (Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '')) : Buffer.alloc(0);
    parts.push(header(e, data.length), data, Buffer.alloc((BLOCK_BYTES - (data.length % BLOCK_BYTES)) % BLOCK_BYTES));
  }
  parts.push(Buffer.alloc(2 * BLOCK_BYTES));
  const body = Buffer.concat(parts);
  const record = 20 * BLOCK_BYTES;
  return Buffer.concat([body, Buffer.alloc((record - (body.length % record)) % record)]);
}
