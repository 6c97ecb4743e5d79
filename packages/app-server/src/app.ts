/**
 * The demo app-server: the service scenarios break. Every request is logged to
 * <logDir>/access.log before it is answered, so a full disk turns into 500s;
 * every data request takes a connection from a bounded Postgres pool, so an exhausted
 * pool or a dead database turns into 503s. Both are what an on-call SRE should find.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createPgPool, type PgClient, type PgPool } from './pg-pool.ts';
import type { AppConfig } from './config.ts';

const MAX_BODY_BYTES = 64 * 1024;

export interface AppServer {
  server: Server;
  pool: PgPool;
  close(): Promise<void>;
}

/** Why a request failed, for its access log line: the first thing an on-call reads. */
const failures = new WeakMap<ServerResponse, string>();

function send(res: ServerResponse, status: number, body: unknown): void {
  const b = (body ?? {}) as { error?: unknown; db?: unknown };
  const why = b.error ?? (b.db !== 'ok' ? b.db : undefined);
  if (status >= 500 && typeof why === 'string') failures.set(res, why);
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Creates (does not start) the app-server. */
export function createAppServer(cfg: AppConfig): AppServer {
  const pool = createPgPool({ ...(cfg.pg ?? { host: '127.0.0.1', port: 5432, user: 'none', database: 'none' }), max: cfg.poolMax, connectionTimeoutMillis: cfg.poolWaitMs, idleTimeoutMillis: 30_000, maxLifetimeSeconds: cfg.poolMaxLifetimeS });
  // An idle client losing its connection (postgres restarted) must not crash the service.
  pool.on('error', () => {});
  const logFile = join(cfg.logDir, 'access.log');
  let schemaReady = false;

  function log(line: string): void {
    mkdirSync(cfg.logDir, { recursive: true });
    appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  }

  async function withDb<T>(fn: (c: PgClient) => Promise<T>): Promise<T> {
    if (!cfg.pg) throw Object.assign(new Error('this app-server has no database (PGHOST is empty: the scenario has no database tier)'), { status: 503 });
    let client: PgClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw Object.assign(new Error(`database unavailable: ${(e as Error).message}`), { status: 503 });
    }
    try {
      if (!schemaReady) {
        // Every api node creates the table at its first request; IF NOT EXISTS alone races
        // (duplicate pg_class entry), so the nodes take turns under an advisory lock.
        await client.query('SELECT pg_advisory_lock(4242)');
        try {
          await client.query('CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
        } finally {
          await client.query('SELECT pg_advisory_unlock(4242)');
        }
        schemaReady = true;
      }
      return await fn(client);
    } finally {
      client.release();
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://app');
    if (req.method === 'GET' && url.pathname === '/healthz') {
      // No database in this scenario: healthy on its own, as the seed's one-tier example expects.
      if (!cfg.pg) return send(res, 200, { status: 'ok', db: 'none', pool: poolStats() });
      const db = await withDb((c) => c.query('SELECT 1')).then(() => 'ok', (e: Error) => e.message);
      send(res, db === 'ok' ? 200 : 503, { status: db === 'ok' ? 'ok' : 'degraded', db, pool: poolStats() });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/items') {
      const rows = await withDb((c) => c.query('SELECT id, name, created_at FROM items ORDER BY id DESC LIMIT 100'));
      send(res, 200, { items: rows.rows });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/items') {
      let name: unknown;
      try {
        name = (JSON.parse(await readBody(req)) as { name?: unknown }).name;
      } catch {
        send(res, 400, { error: 'body must be JSON like {"name":"…"}' });
        return;
      }
      if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
        send(res, 400, { error: 'name must be a string of 1–200 characters' });
        return;
      }
      const row = await withDb((c) => c.query('INSERT INTO items (name) VALUES ($1) RETURNING id, name, created_at', [name]));
      send(res, 201, row.rows[0]);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/status') {
      send(res, 200, { pool: poolStats(), uptimeSeconds: Math.round(process.uptime()) });
      return;
    }
    send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  }

  function poolStats(): { max: number; total: number; idle: number; waiting: number } {
    return { max: cfg.poolMax, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }

  const server = createServer((req, res) => {
    const started = Date.now();
    res.on('finish', () => {
      try {
        const why = failures.get(res);
        log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms${why ? ` error="${why}"` : ''}`);
      } catch {
        // The request was already answered; the failure is reported on the next request.
      }
    });
    try {
      // Writing the log first is deliberate: a service that cannot log must say so, not limp on.
      log(`${req.method} ${req.url} start`);
    } catch (e) {
      send(res, 500, { error: `cannot write log ${logFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      return;
    }
    route(req, res).catch((e: Error & { status?: number }) => {
      if (!res.headersSent) send(res, e.status ?? 500, { error: e.message });
    });
  });

  return {
    server,
    pool,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
