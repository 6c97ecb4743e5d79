/**
 * One server per data directory: two servers on one database would both run every
 * scenario's clock. The lock is a pid file; a stale one (its process is gone, e.g. after
 * SIGKILL) is taken over.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PuduError } from '@pudu/schema';
import { pidAlive } from '@pudu/drivers';

/** Takes the data directory's lock or throws CONFLICT naming the running server; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'pudu-server.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        try {
          if (Number(readFileSync(file, 'utf8')) === process.pid) unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new PuduError('CONFLICT', `another pudu server (pid ${pid}) uses ${dataDir}; stop it or pass a different --data-dir`);
      }
      unlinkSync(file);
    }
  }
  throw new PuduError('CONFLICT', `cannot lock ${dataDir}`);
}
