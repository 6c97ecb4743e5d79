/**
 * A throwaway PostgreSQL on loopback for the store tests: initdb in a temp dir as the
 * postgres user, a free port, trust auth on 127.0.0.1 only; stopped and removed after.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The newest PostgreSQL server installed from Debian packages (postgresql-NN). */
function findPgBin(): string {
  const versions = (() => {
    try {
      return readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    } catch {
      return [];
    }
  })();
  return join('/usr/lib/postgresql', versions[0] ?? '15', 'bin');
}
const PG_BIN = findPgBin();

export function postgresSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to run initdb as the postgres user';
  if (!existsSync(join(PG_BIN, 'initdb'))) return `PostgreSQL server not installed (${PG_BIN}; apt-get install postgresql)`;
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface PgInstance { url: string; stop(): Promise<void> }

/** Starts PostgreSQL and resolves with its URL once it accepts connections. */
export async function startPostgres(): Promise<PgInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-pg-'));
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  chownSync(dir, Number(uid), Number(gid));
  const data = join(dir, 'data');
  const as = (cmd: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args], { timeout: 60_000 });
  await as('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  await as('pg_ctl', ['-D', data, '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await as('pg_ctl', ['-D', data, '-w', '-m', 'immediate', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
