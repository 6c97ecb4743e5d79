import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiPath, type PuduError } from '@pudu/schema';
import { openStore } from '../store/sql-store.ts';
import { assertRunAccess, authenticateToken, createToken, ensureAdminToken, tokenFromRequest } from './tokens.ts';

test('the admin token is created once, stored as a hash, and authenticates', async () => {
  const store = await openStore(':memory:');
  const admin = await ensureAdminToken(store);
  assert.match(admin ?? '', /^pudu_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  assert.equal(await ensureAdminToken(store), null);
  const [row] = await store.listTokens();
  assert.equal(row?.secretHash.length, 64);
  assert.ok(!admin!.includes(row!.secretHash));
  assert.equal((await authenticateToken(store, admin!)).role, 'admin');
  await store.close();
});

test('a token with a right id and a wrong secret, a missing token, or garbage is UNAUTHORIZED', async () => {
  const store = await openStore(':memory:');
  const { token } = await createToken(store, { role: 'instructor' });
  const forged = token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA');
  for (const t of [forged, undefined, '', 'Bearer', 'pudu_zz_zz']) {
    await assert.rejects(authenticateToken(store, t), (e: PuduError) => e.code === 'UNAUTHORIZED');
  }
  await store.close();
});

test('trainee tokens need a run and reach only it', async () => {
  const store = await openStore(':memory:');
  await store.insertRun({ id: 'r1', state: 'running', createdAt: new Date().toISOString(), doc: { endedAtMs: null } });
  await assert.rejects(createToken(store, { role: 'trainee' }), /runId/);
  await assert.rejects(createToken(store, { role: 'observer', runId: 'r1' }), /only trainee/);
  const { token } = await createToken(store, { role: 'trainee', runId: 'r1' });
  const p = await authenticateToken(store, token);
  assert.doesNotThrow(() => assertRunAccess(p, 'r1'));
  assert.throws(() => assertRunAccess(p, 'r2'), (e: PuduError) => e.code === 'FORBIDDEN');
  await store.close();
});

test('the token is read from a Bearer header first, then ?token=', () => {
  assert.equal(tokenFromRequest({ authorization: 'Bearer abc' }, '/x?token=def'), 'abc');
  assert.equal(tokenFromRequest({}, apiPath('terminal', {}, { vm: 1, token: 'def' })), 'def');
  assert.equal(tokenFromRequest({ authorization: 'Basic xyz' }, '/x'), undefined);
});

test('a token past its expiry is TOKEN_EXPIRED, one before it works; service tokens need a lifetime', async () => {
  const store = await openStore(':memory:');
  const now = Date.parse('2026-12-01T10:00:00Z');
  const { token, record } = await createToken(store, { role: 'engineer', ttlMs: 2000, now });
  assert.equal(record.expiresAt, '2026-12-01T10:00:02.000Z');
  assert.equal((await authenticateToken(store, token, { now: now + 1999 })).role, 'engineer');
  await assert.rejects(authenticateToken(store, token, { now: now + 2000 }), (e: PuduError) => e.code === 'TOKEN_EXPIRED');
  const human = await createToken(store, { role: 'instructor', now });
  assert.equal(human.record.expiresAt, '2026-12-01T22:00:00.000Z');
  await assert.rejects(createToken(store, { role: 'engineer', kind: 'service' }), /explicit lifetime/);
  await store.close();
});

test('a trainee token dies with its run, after the grace', async () => {
  const store = await openStore(':memory:');
  const ended = Date.parse('2026-12-01T10:00:00Z');
  await store.insertRun({ id: 'r2', state: 'aborted', createdAt: new Date(ended - 60_000).toISOString(), doc: { endedAtMs: ended } });
  const { token } = await createToken(store, { role: 'trainee', runId: 'r2', ttlMs: 3_600_000, now: ended - 60_000 });
  assert.equal((await authenticateToken(store, token, { now: ended + 999, traineeGraceMs: 1000 })).runId, 'r2');
  await assert.rejects(authenticateToken(store, token, { now: ended + 1000, traineeGraceMs: 1000 }), (e: PuduError) => e.code === 'TOKEN_EXPIRED');
  await store.close();
});

test('a role the policy does not define is refused', async () => {
  const store = await openStore(':memory:');
  const { token } = await createToken(store, { role: 'sre' });
  await assert.rejects(authenticateToken(store, token), (e: PuduError) => e.code === 'FORBIDDEN');
  assert.equal((await authenticateToken(store, token, { resolveRole: () => 'engineer' })).policyRole, 'sre');
  await store.close();
});
