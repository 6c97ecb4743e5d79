import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_ROUTES, SCENARIO_SCHEMA_FILE, apiPath, type ApiRoute } from '@pudu/schema';
import type { PuduApiError } from '@pudu/client';
import { REPO_ROOT, startTestServer } from './harness.ts';

function concrete(path: string): string {
  return path.replace('{id}', 'r00000000').replace('{name}', 'monolith%2Fdisk-full').replace(/\{\w+\}/g, 'x1');
}

/** Opens the terminal WebSocket and returns the HTTP status of the refused upgrade (or 101). */
function wsStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.on('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
  });
}

test('every route of the table answers 401 problem+json without a token, except the public ones', async (t) => {
  const s = await startTestServer(t);
  for (const r of API_ROUTES as readonly ApiRoute[]) {
    if (r.websocket) {
      const ws = await wsStatus(`${s.url.replace('http', 'ws')}${concrete(r.path)}?vm=0`);
      assert.equal(ws.status, 401, r.operationId);
      assert.equal((JSON.parse(ws.body) as { code: string }).code, 'UNAUTHORIZED');
      const bad = await wsStatus(`${s.url.replace('http', 'ws')}${concrete(r.path)}?vm=0`, { authorization: 'Bearer pudu_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
      assert.equal(bad.status, 401);
      continue;
    }
    const res = await fetch(s.url + concrete(r.path), {
      method: r.method,
      headers: r.method === 'POST' ? { 'content-type': 'application/json' } : {},
      body: r.method === 'POST' ? '{}' : undefined,
    });
    if (r.roles === 'public') {
      // SSO routes need an sso: block in the policy (404 without) and their own input (400): never 401.
      // A game day's join needs its invite code (400 for `{}`, 404 for no such game day): never 401 either.
      if (r.tag === 'auth' || r.tag === 'gamedays') assert.ok(res.status === 404 || res.status === 400, `${r.method} ${r.path} is public: ${res.status}`);
      else assert.equal(res.status, 200, `${r.method} ${r.path} is public`);
      s.openapi.check(r.method, concrete(r.path), res.status, res.headers.get('content-type') ?? '', await res.json());
      continue;
    }
    const body = (await res.json()) as { code: string; status: number };
    assert.equal(res.status, 401, `${r.method} ${r.path}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(body.code, 'UNAUTHORIZED');
    s.openapi.check(r.method, concrete(r.path), res.status, res.headers.get('content-type') ?? '', body);
  }
});

test('a wrong, malformed or revoked token gets 401; the admin token works', async (t) => {
  const s = await startTestServer(t);
  for (const token of ['nope', `${s.adminToken}x`, s.adminToken.slice(0, -1) + (s.adminToken.endsWith('A') ? 'B' : 'A')]) {
    await assert.rejects(s.client(token).whoami(), (e: PuduApiError) => e.status === 401 && e.code === 'UNAUTHORIZED');
  }
  const me = await s.client().whoami();
  assert.equal(me.role, 'admin');
  const obs = await s.client().createToken({ role: 'observer', name: 'watcher' });
  assert.equal((await s.client(obs.token).whoami()).role, 'observer');
  await s.client().revokeToken(obs.id);
  await assert.rejects(s.client(obs.token).whoami(), (e: PuduApiError) => e.status === 401);
});

test('roles are enforced: an observer cannot create fleets or tokens, and a trainee token needs a run', async (t) => {
  const s = await startTestServer(t);
  const obs = await s.client().createToken({ role: 'observer' });
  await assert.rejects(s.client(obs.token).createFleet({ count: 1 }), (e: PuduApiError) => e.status === 403 && e.code === 'FORBIDDEN');
  await assert.rejects(s.client(obs.token).createToken({ role: 'admin' }), (e: PuduApiError) => e.status === 403);
  await assert.rejects(s.client().createToken({ role: 'trainee' }), (e: PuduApiError) => e.status === 400 && /runId/.test(e.message));
  await assert.rejects(s.client().createToken({ role: 'trainee', runId: 'rdeadbeef' }), (e: PuduApiError) => e.status === 404 && e.code === 'RUN_NOT_FOUND');
  const wsObs = await wsStatus(`${s.url.replace('http', 'ws')}${apiPath('terminal', {}, { vm: 0 })}`, { authorization: `Bearer ${obs.token}` });
  assert.equal(wsObs.status, 403);
});

test('a browser Origin other than the server is refused on the terminal WebSocket', async (t) => {
  const s = await startTestServer(t);
  const r = await wsStatus(`${s.url.replace('http', 'ws')}${apiPath('terminal', {}, { vm: 0 })}`, { authorization: `Bearer ${s.adminToken}`, origin: 'http://evil.example' });
  assert.equal(r.status, 403);
  assert.match(r.body, /origin/);
});

test('a malformed scenario body gets 422 problem+json listing every error with line:col', async (t) => {
  const s = await startTestServer(t);
  const yaml = [
    'scenario:',
    '  id: broken',
    '  title: Broken',
    '  difficulty: impossible',
    'environment:',
    '  tiers:',
    '    - name: app',
    '      count: 0',
    'faults: []',
  ].join('\n');
  const err = await s.client().runScenario({ yaml, file: 'broken.yaml' }).then(() => null, (e: PuduApiError) => e);
  assert.ok(err, 'the run was accepted');
  assert.equal(err.status, 422);
  assert.equal(err.code, 'SCENARIO_INVALID');
  const errors = err.problem?.errors ?? [];
  assert.ok(errors.length >= 2, JSON.stringify(errors));
  for (const e of errors) {
    assert.equal(e.file, 'broken.yaml');
    assert.ok(Number.isInteger(e.line) && Number.isInteger(e.col), JSON.stringify(e));
  }
  assert.ok(errors.some((e) => e.line === 4 && /difficulty/.test(e.path)), JSON.stringify(errors));
  assert.ok(errors.some((e) => e.line === 8), JSON.stringify(errors));
  // Bad JSON and a wrong shape are 400 problem+json too, naming the field.
  const raw = await fetch(s.url + apiPath('runScenario'), { method: 'POST', headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' }, body: '{"yaml": 1' });
  assert.equal(raw.status, 400);
  assert.match(raw.headers.get('content-type') ?? '', /problem\+json/);
  await assert.rejects(s.client().runScenario({ yaml: 'x', name: 'monolith/disk-full' }), (e: PuduApiError) => e.status === 400 && /exactly one/.test(e.message));
  await assert.rejects(s.client().runScenario({ name: '../../etc/passwd' }), (e: PuduApiError) => e.status === 404 && e.code === 'SCENARIO_NOT_FOUND');
});

test('every mutation lands in the append-only audit log, allowed or denied', async (t) => {
  const s = await startTestServer(t);
  const obs = await s.client().createToken({ role: 'observer', name: 'auditor' });
  await s.client(obs.token).createFleet({ count: 1 }).catch(() => undefined);
  await fetch(s.url + apiPath('createFleet'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"count":1}' });
  const entries = await s.client().listAudit();
  const actions = entries.map((e) => `${e.action} ${e.result} ${e.role}`);
  assert.ok(actions.includes(`POST ${apiPath('createToken')} ok admin`), actions.join('\n'));
  assert.ok(actions.includes(`POST ${apiPath('createFleet')} denied observer`), actions.join('\n'));
  assert.ok(actions.includes(`POST ${apiPath('createFleet')} denied none`), actions.join('\n'));
  const tokenEntry = entries.find((e) => e.action === `POST ${apiPath('createToken')}`);
  assert.match(tokenEntry?.target ?? '', /^token /);
  assert.doesNotMatch(JSON.stringify(entries), new RegExp(obs.token.slice(-20)), 'a token secret leaked into the audit log');
});

test('the OpenAPI document is served and the library lists the repository scenarios', async (t) => {
  const s = await startTestServer(t);
  const lib = await s.client().listLibrary();
  assert.ok(lib.some((e) => e.name === 'monolith/disk-full' && e.vms === 1), JSON.stringify(lib));
  const one = await s.client().getLibraryScenario('monolith/disk-full');
  assert.match(one.yaml, /disk/);
  const health = await s.client().health();
  assert.equal(health.database, 'sqlite');
  assert.ok(s.openapi.checked >= 3);
});

test('the scenario JSON Schema is served without a token, and its $id resolves back to it', async (t) => {
  const s = await startTestServer(t);
  const res = await fetch(s.url + apiPath('getScenarioSchema'));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/schema\+json/);
  const served = (await res.json()) as { $id: string; $schema: string };
  assert.equal(served.$id, s.url + apiPath('getScenarioSchema'));
  assert.equal(served.$schema, 'https://json-schema.org/draft/2020-12/schema');
  const again = await fetch(served.$id);
  assert.equal(again.status, 200);
  assert.deepEqual(await again.json(), served);
  const committed = JSON.parse(readFileSync(join(REPO_ROOT, SCENARIO_SCHEMA_FILE), 'utf8')) as Record<string, unknown>;
  assert.deepEqual({ ...served, $id: committed.$id }, committed, 'the server serves the committed schema');
});
