import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { createAppServer } from './app.ts';
import { readConfig } from './config.ts';

async function closedPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function start(env: NodeJS.ProcessEnv) {
  const app = createAppServer(readConfig({ APP_PORT: '1', ...env }));
  app.server.listen(0, '127.0.0.1');
  await once(app.server, 'listening');
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { app, base };
}

test('answers 503 with the reason when the pool cannot get a database connection', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-app-'));
  const { app, base } = await start({ APP_LOG_DIR: dir, PGPORT: String(await closedPort()), APP_DB_POOL_WAIT_MS: '500' });
  t.after(async () => { await app.close(); rmSync(dir, { recursive: true, force: true }); });
  const r = await fetch(`${base}/api/items`);
  assert.equal(r.status, 503);
  assert.match(((await r.json()) as { error: string }).error, /database unavailable/);
  const h = await fetch(`${base}/healthz`);
  assert.equal(h.status, 503);
  assert.match(readFileSync(join(dir, 'access.log'), 'utf8'), /GET \/api\/items 503 \d+ms error="database unavailable: /);
});

test('answers 500 naming the log file when it cannot write its log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-app-'));
  const logDir = join(dir, 'log');
  writeFileSync(logDir, 'a file where the log directory should be');
  chmodSync(logDir, 0o444);
  const { app, base } = await start({ APP_LOG_DIR: logDir, PGPORT: String(await closedPort()) });
  t.after(async () => { await app.close(); rmSync(dir, { recursive: true, force: true }); });
  const r = await fetch(`${base}/api/status`);
  assert.equal(r.status, 500);
  assert.match(((await r.json()) as { error: string }).error, /cannot write log .*access\.log/);
});

test('rejects a bad item body with 400 and unknown routes with 404', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-app-'));
  const { app, base } = await start({ APP_LOG_DIR: dir, PGPORT: String(await closedPort()) });
  t.after(async () => { await app.close(); rmSync(dir, { recursive: true, force: true }); });
  assert.equal((await fetch(`${base}/api/items`, { method: 'POST', body: 'not json' })).status, 400);
  assert.equal((await fetch(`${base}/api/items`, { method: 'POST', body: '{"name":""}' })).status, 400);
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  const s = (await (await fetch(`${base}/api/status`)).json()) as { pool: { max: number } };
  assert.equal(s.pool.max, 10);
});

test('a non-numeric pool size in the environment is refused with the variable name', () => {
  assert.throws(() => readConfig({ APP_DB_POOL_MAX: 'ten' }), /APP_DB_POOL_MAX=ten/);
});

test('with an empty PGHOST (no database tier) /healthz is 200 and the item routes say there is no database', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-app-'));
  const { app, base } = await start({ APP_LOG_DIR: dir, PGHOST: '' });
  t.after(async () => { await app.close(); rmSync(dir, { recursive: true, force: true }); });
  const h = await fetch(`${base}/healthz`);
  assert.equal(h.status, 200);
  assert.equal(((await h.json()) as { db: string }).db, 'none');
  const r = await fetch(`${base}/api/items`);
  assert.equal(r.status, 503);
  assert.match(((await r.json()) as { error: string }).error, /no database/);
});
