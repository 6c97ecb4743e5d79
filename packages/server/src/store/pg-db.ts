import pg from 'pg';
import type { SqlDb } from './sql-db.ts';

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
  // Several servers may share the database as replicas: which one runs the loops is leader/leadership.ts's.
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
    },
  };
}
