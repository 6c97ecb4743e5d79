import pg from 'pg';
import { PuduError } from '@pudu/schema';
import type { SqlDb } from './sql-db.ts';

/** Key of the session-level advisory lock that makes a database one server's. */
const SERVER_LOCK_KEY = 0x70756475; // "pudu"

/**
 * One server per database, as the data-dir lock is for SQLite: two servers would both run
 * every scenario's clock and faults. Held by a connection of its own for the server's life.
 */
async function lockDatabase(url: string): Promise<InstanceType<typeof pg.Client>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const r = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [SERVER_LOCK_KEY]);
  if (!(r.rows[0] as { locked?: boolean } | undefined)?.locked) {
    await client.end();
    throw new PuduError('CONFLICT', 'another pudu server is using this PostgreSQL database (it holds the server lock); stop it or give this one another database');
  }
  client.on('error', (e: Error) => console.error(`pudu: postgres: the connection holding the server lock was lost: ${e.message}`));
  return client;
}

function renumber(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Connects a pool to PostgreSQL (`postgres://user:pass@host:port/db`). */
export async function openPgDb(url: string): Promise<SqlDb> {
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // An idle connection dropped by the database must not crash the server; the next query reconnects.
  pool.on('error', (e: Error) => console.error(`pudu: postgres: idle connection lost: ${e.message}`));
  // Fail at startup with a clear error rather than on the first request.
  const c = await pool.connect();
  c.release();
  let lock: InstanceType<typeof pg.Client>;
  try {
    lock = await lockDatabase(url);
  } catch (e) {
    await pool.end();
    throw e;
  }
  return {
    dialect: 'postgres',
    async all<T>(sql: string, params: unknown[] = []) {
      const r = await pool.query(renumber(sql), params);
      return r.rows as T[];
    },
    async run(sql: string, params: unknown[] = []) {
      await pool.query(renumber(sql), params);
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async close() {
      await pool.end();
      await lock.end().catch(() => undefined);
    },
  };
}
