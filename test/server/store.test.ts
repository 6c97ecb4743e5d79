/**
 * The store contract, run against real SQLite and a real PostgreSQL: the same behaviour
 * from both, including the database-enforced append-only audit log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { apiPath } from '@pudu/schema';
import { openStore } from '../../packages/server/src/store/sql-store.ts';
import type { Store } from '../../packages/server/src/store/store.ts';
import { authenticateToken, createToken, ensureAdminToken } from '../../packages/server/src/auth/tokens.ts';
import { postgresSkipReason, startPostgres } from './postgres-instance.ts';
import { startTestServer } from './harness.ts';

async function exerciseStore(store: Store): Promise<void> {
  const admin = await ensureAdminToken(store);
  assert.ok(admin);
  assert.equal(await ensureAdminToken(store), null, 'a second start minted another admin token');
  const p = await authenticateToken(store, admin);
  assert.equal(p.role, 'admin');
  const rows = await store.listTokens();
  assert.ok(!JSON.stringify(rows).includes(admin.split('_')[2]!), 'the secret is stored in clear');

  const run = { id: 'r1', state: 'running', createdAt: '2026-01-01T00:00:00.000Z', doc: { a: 1, nested: { b: [1, 2] } } };
  assert.equal(await store.insertRun(run), true);
  assert.equal(await store.insertRun({ ...run, state: 'provisioning', doc: { other: true } }), false, 'a run id collision is refused');
  assert.deepEqual(await store.getRun('r1'), run, 'the old run is left as it was');
  await store.putRun({ id: 'r1', state: 'resolved', createdAt: '2026-01-01T00:00:00.000Z', doc: { a: 2 } });
  assert.deepEqual((await store.getRun('r1'))?.doc, { a: 2 });
  await store.putRun({ id: 'r-gone', state: 'resolved', createdAt: '2026-01-01T00:00:00.000Z', doc: {} });
  assert.equal(await store.getRun('r-gone'), null, 'an update never creates a run');
  assert.equal((await store.listRuns()).length, 1);
  const fleet = { id: 'f0123456789ab', state: 'ready' as const, runId: 'r1', createdAt: '2026-01-01T00:00:00.000Z', doc: { old: true } };
  assert.equal(await store.insertFleet(fleet), true);
  assert.equal(await store.insertFleet({ ...fleet, state: 'creating', runId: null, doc: { new: true } }), false, 'an id collision is refused');
  assert.deepEqual(await store.getFleet(fleet.id), fleet, 'the old fleet is left as it was');
  await store.putFleet({ ...fleet, state: 'deleted' });
  assert.equal((await store.getFleet(fleet.id))?.state, 'deleted');
  await store.putFleet({ ...fleet, id: 'f-gone' });
  assert.equal(await store.getFleet('f-gone'), null, 'an update never creates a fleet');
  const trainee = await createToken(store, { role: 'trainee', runId: 'r1' });
  assert.equal((await authenticateToken(store, trainee.token)).runId, 'r1');

  const e1 = await store.appendEvent({ runId: 'r1', at: '2026-01-01T00:00:01.000Z', kind: 'run.started', data: { x: 1 } });
  const e2 = await store.appendEvent({ runId: 'r1', at: '2026-01-01T00:00:02.000Z', kind: 'alert.fired', data: {} });
  assert.ok(e2.seq > e1.seq);
  assert.deepEqual((await store.listEvents('r1', e1.seq)).map((e) => e.kind), ['alert.fired']);

  const a = await store.appendAudit({ actor: 'admin (x)', role: 'admin', action: `POST ${apiPath('createFleet')}`, target: 'fleet f1', result: 'ok', detail: '' });
  await store.appendAudit({ actor: 'anonymous', role: 'none', action: `POST ${apiPath('createFleet')}`, target: apiPath('createFleet'), result: 'denied', detail: 'HTTP 401' });
  const audit = await store.listAudit(10);
  assert.equal(audit.length, 2);
  assert.equal(audit[0]!.result, 'denied', 'newest first');
  assert.deepEqual(await store.listAudit(10, audit[0]!.id), [a]);
  await store.revokeToken(trainee.record.id, new Date().toISOString());
  await assert.rejects(authenticateToken(store, trainee.token), /revoked/);
}

test('the SQLite store keeps tokens hashed, runs, events and an audit log the database refuses to rewrite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'pudu.db');
  const store = await openStore(file);
  await exerciseStore(store);
  await store.close();
  const db = new Database(file);
  t.after(() => db.close());
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.throws(() => db.prepare("UPDATE audit SET result = 'ok'").run(), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM audit').run(), /append-only/);
  // Reopening migrates nothing twice and keeps the data.
  const again = await openStore(file);
  assert.equal((await again.listAudit(10)).length, 2);
  await again.close();
});

test('the PostgreSQL store behaves the same, audit log included', { skip: postgresSkipReason(), timeout: 120_000 }, async (t) => {
  const pgi = await startPostgres();
  t.after(() => pgi.stop());
  const store = await openStore(pgi.url);
  assert.equal(store.kind, 'postgres');
  // Replicas share the database (the leader election decides which one runs the loops): a second store opens on a migrated database.
  const replica = await openStore(pgi.url);
  await replica.close();
  await exerciseStore(store);
  await store.close();
  const client = new pg.Pool({ connectionString: pgi.url, max: 1 });
  client.on('error', () => undefined);
  await assert.rejects(client.query("UPDATE audit SET result = 'ok'"), /append-only/);
  await assert.rejects(client.query('DELETE FROM audit'), /append-only/);
  const again = await openStore(pgi.url);
  assert.equal((await again.listAudit(10)).length, 2);
  await again.close();

  // The whole server on PostgreSQL (`--database postgres://…`), on a fresh database.
  await client.query('CREATE DATABASE pudu_server');
  const s = await startTestServer(t, { database: pgi.url.replace(/\/postgres$/, '/pudu_server') });
  assert.equal((await s.client().health()).database, 'postgres');
  const obs = await s.client().createToken({ role: 'observer' });
  await assert.rejects(s.client(obs.token).createFleet({ count: 1 }), (e: { status: number }) => e.status === 403);
  const entries = await s.client(obs.token).listAudit();
  assert.deepEqual(entries.map((e) => `${e.action} ${e.result}`), [`POST ${apiPath('createFleet')} denied`, `POST ${apiPath('createToken')} ok`]);
  await s.server.close();
  await client.end();
});

test('a database URL that cannot be reached fails at startup with a clear error and no password in it', async () => {
  await assert.rejects(openStore('postgres://pudu:s3cret@127.0.0.1:1/pudu'), (e: Error) => /cannot open database postgres:\/\/\*\*\*@127\.0\.0\.1:1\/pudu/.test(e.message) && !e.message.includes('s3cret'));
});
