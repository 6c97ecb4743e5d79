import { closeSync, existsSync, fstatSync, mkdirSync, openSync, statSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PuduError, type AgentDiskParams } from '@pudu/schema';
import { run } from '../exec.ts';
import type { FaultDriver, Undo } from './fault.ts';
import { requireTools, requireWritable } from './verify.ts';

const HEADER_LINES = 64;
const TRUNCATED_BYTES = 1024 * 1024;
const FALLOCATE_ROUNDS = 6;
const WRITE_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Picks a file name a trainee would plausibly meet on a full disk: a runaway debug log in
 * the filesystem's log directory (never a tell-tale ".pudu-diskfill").
 */
function chooseFillFile(path: string): string {
  const logDir = join(path, 'var/log');
  if (existsSync(logDir) && statSync(logDir).dev === statSync(path).dev) return join(logDir, 'app', 'debug.log');
  return join(path, 'debug.log');
}

function logHeader(): string {
  const out: string[] = [];
  const t0 = Date.now() - HEADER_LINES * 1000;
  for (let i = 0; i < HEADER_LINES; i++) {
    const ts = new Date(t0 + i * 1000).toISOString();
    out.push(`${ts} DEBUG [worker-${i % 4}] cache miss for key session:${(i * 7919) % 100000}, refetching upstream (retry ${i % 5})`);
  }
  return out.join('\n') + '\n';
}

/** Writes zeros until the filesystem says ENOSPC (fallocate leaves a few blocks that writers could still use). */
function writeUntilFull(fd: number): void {
  const chunk = Buffer.alloc(WRITE_CHUNK_BYTES);
  let size = WRITE_CHUNK_BYTES;
  for (;;) {
    try {
      writeSync(fd, chunk, 0, size, fstatSync(fd).size);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      if (size <= 4096) return;
      size = Math.max(4096, Math.floor(size / 16));
    }
  }
}

/**
 * disk: fills the filesystem holding `path` to ENOSPC (including root's reserved blocks:
 * the trainee is root) with one file that looks like a runaway log. The file is closed
 * when applied, so deleting it frees the space at once.
 */
export const diskFault: FaultDriver<'disk'> = {
  type: 'disk',
  conflictKey: (p) => `disk:${existsSync(p.path) ? statSync(p.path).dev : p.path}`,
  async plan(_id, p: AgentDiskParams): Promise<Undo> {
    if (!existsSync(p.path)) throw new PuduError('FAULT_INVALID', `params.path: ${p.path} does not exist in the VM`);
    const file = chooseFillFile(p.path);
    // A fill left by an agent that lost its journal is ours: the server injects the fault again
    // and it is topped up, not refused. Anything else by that name is not ours to touch.
    if (existsSync(file)) {
      if (statSync(file).size > TRUNCATED_BYTES) return { file, createdDir: null, adopted: true };
      throw new PuduError('FAULT_CONFLICT', `params.path: ${file} already exists; refusing to overwrite it`);
    }
    return { file, createdDir: existsSync(dirname(file)) ? null : dirname(file) };
  },
  async verify(p: AgentDiskParams, undo) {
    const file = String(undo.file);
    // The fill goes where plan said; its directory is created when missing, so the nearest existing one must be writable.
    const dir = existsSync(dirname(file)) ? dirname(file) : p.path;
    return [...requireWritable('disk', dir), ...requireTools('disk', ['fallocate'])];
  },
  async apply(_id, _p, undo) {
    const file = String(undo.file);
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(file, undo.adopted === true ? 'r+' : 'wx', 0o644);
    let mechanism = 'write';
    try {
      if (undo.adopted !== true) writeSync(fd, logHeader());
      // fallocate in shrinking rounds (each asks for 90 % of what is free: the filesystem needs
      // some of the rest for the file's own metadata), then writes take the last blocks.
      // bfree, not bavail: root may write into the reserved blocks, so fill those too.
      for (let round = 0; round < FALLOCATE_ROUNDS; round++) {
        const s = statfsSync(file);
        const ask = Math.floor(s.bfree * s.bsize * 0.9);
        if (ask < WRITE_CHUNK_BYTES) break;
        const r = await run('fallocate', ['-o', String(fstatSync(fd).size), '-l', String(ask), file]);
        if (r.code !== 0) break;
        mechanism = 'fallocate+write';
      }
      writeUntilFull(fd);
    } finally {
      closeSync(fd);
    }
    return { mechanism };
  },
  async revert(undo) {
    try {
      unlinkSync(String(undo.file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  },
  async isActive(undo) {
    // Truncating the log (`> debug.log`) frees the space as surely as deleting it.
    try {
      return statSync(String(undo.file)).size > TRUNCATED_BYTES;
    } catch {
      return false;
    }
  },
};
