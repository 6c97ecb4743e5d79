/**
 * Firecracker boots an uncompressed ELF `vmlinux`, Debian ships a bzImage. Like the
 * kernel's scripts/extract-vmlinux: find each compression magic in the bzImage, try to
 * decompress from there, keep the first result that is an ELF file.
 */
import { spawnSync } from 'node:child_process';
import { PuduError } from '@pudu/schema';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const MAX_VMLINUX_BYTES = 512 * 1024 * 1024;

const DECOMPRESSORS: { name: string; magic: Buffer; argv: string[] }[] = [
  { name: 'gzip', magic: Buffer.from([0x1f, 0x8b, 0x08]), argv: ['gzip', '-dc'] },
  { name: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), argv: ['xz', '-dc'] },
  { name: 'zstd', magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), argv: ['zstd', '-dc'] },
  { name: 'lz4', magic: Buffer.from([0x02, 0x21, 0x4c, 0x18]), argv: ['lz4', '-dc'] },
  { name: 'bzip2', magic: Buffer.from('BZh'), argv: ['bzip2', '-dc'] },
];

function* offsetsOf(hay: Buffer, needle: Buffer): Generator<number> {
  let at = hay.indexOf(needle);
  while (at >= 0) {
    yield at;
    at = hay.indexOf(needle, at + 1);
  }
}

/** Returns the ELF vmlinux inside a bzImage; throws ASSETS_MISSING naming the tools tried. */
export function extractVmlinux(bzImage: Buffer): Buffer {
  if (bzImage.subarray(0, 4).equals(ELF_MAGIC)) return bzImage;
  const tried: string[] = [];
  for (const d of DECOMPRESSORS) {
    for (const off of offsetsOf(bzImage, d.magic)) {
      tried.push(`${d.name}@${off}`);
      // Trailing garbage after the stream makes the tools exit non-zero; the output is still whole.
      const r = spawnSync(d.argv[0]!, d.argv.slice(1), { input: bzImage.subarray(off), maxBuffer: MAX_VMLINUX_BYTES });
      if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') break;
      if (r.stdout && r.stdout.length > 4 && r.stdout.subarray(0, 4).equals(ELF_MAGIC)) return r.stdout;
    }
  }
  throw new PuduError('ASSETS_MISSING', `no ELF kernel found inside the bzImage (tried ${tried.join(', ') || 'nothing: no known compression magic'})`);
}
