/**
 * Issue 15, "install and run as a service": probes without a token, one JSON access-log
 * line per request that never carries a token, WWW-Authenticate on 401, problem+json for
 * URLs that cannot be decoded, client addresses from a trusted proxy only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { request } from 'node:http';
import { apiPath, apiRoute, fastifyPath } from '@pudu/schema';
import { startTestServer } from './harness.ts';

/** Appended to a route's path, a path no route has. */
const NOT_A_ROUTE = '-nothing-here';
import { createLogger } from '../../packages/server/src/http/access-log.ts';
import { promtoolCheckMetrics } from '../support/promtool.ts';

/** A logger whose lines land in an array, as a log shipper would read them. */
function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, logger: createLogger('info', sink) };
}

/** A raw GET (fetch would normalise a malformed path before sending it). */
function rawGet(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('healthz and readyz answer without a token; everything else keeps its auth', async (t) => {
  const s = await startTestServer(t);
  const live = await fetch(s.url + apiPath('healthz'));
  assert.equal(live.status, 200);
  assert.deepEqual(await live.json(), { status: 'ok', version: s.server.ctx.version });
  const ready = await fetch(s.url + apiPath('readyz'));
  const body = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean; detail: string }> };
  assert.equal(ready.status, 200, JSON.stringify(body));
  assert.deepEqual(Object.keys(body.checks).sort(), ['capacity', 'driver', 'store']);
  assert.match(body.checks.store!.detail, /sqlite answers/);
  assert.match(body.checks.capacity!.detail, /^0 of \d+ VMs in use$/);
  assert.equal((await fetch(s.url + apiPath('health'))).status, 401);
  assert.equal((await fetch(s.url + apiPath('metrics'))).status, 401);
});

test('readyz says 503 and which check failed when the store is gone', async (t) => {
  const s = await startTestServer(t);
  await s.server.ctx.store.close();
  const r = await fetch(s.url + apiPath('readyz'));
  const body = (await r.json()) as { status: string; checks: Record<string, { ok: boolean }> };
  assert.equal(r.status, 503);
  assert.equal(body.status, 'not ready');
  assert.equal(body.checks.store!.ok, false);
  assert.equal(body.checks.capacity!.ok, true);
  assert.equal((await fetch(s.url + apiPath('healthz'))).status, 200, 'liveness does not depend on the store');
});

test('a 401 names the Bearer scheme, and says invalid_token when a token was sent', async (t) => {
  const s = await startTestServer(t);
  const none = await fetch(s.url + apiPath('listFleets'));
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="pudu"');
  const bad = await fetch(s.url + apiPath('listFleets'), { headers: { authorization: 'Bearer nope' } });
  assert.equal(bad.headers.get('www-authenticate'), 'Bearer realm="pudu", error="invalid_token"');
  const ok = await fetch(s.url + apiPath('listFleets'), { headers: { authorization: `Bearer ${s.adminToken}` } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('www-authenticate'), null);
});

test('a URL that cannot be decoded answers 400 problem+json, not a stack or HTML', async (t) => {
  const s = await startTestServer(t);
  for (const path of [apiRoute('getRun').path.replace('{id}', '%E0%A4%A'), apiRoute('getRun').path.replace('{id}', '%'), '/%c0%ae%c0%ae/etc/passwd']) {
    const r = await rawGet(s.url, path, { authorization: `Bearer ${s.adminToken}` });
    assert.equal(r.status, 400, `${path}: ${r.status} ${r.body}`);
    assert.match(r.type, /^application\/problem\+json/, `${path}: ${r.type} ${r.body}`);
    const p = JSON.parse(r.body) as { code: string; detail: string };
    assert.equal(p.code, 'BAD_REQUEST', r.body);
    assert.doesNotMatch(r.body, /at .*\.ts:\d+|node_modules|\/work\//);
  }
});

test('the access log is one JSON line per request with id, route template, status, ms and actor — never a token', async (t) => {
  const { lines, logger } = capture();
  const s = await startTestServer(t, { logger });
  const secret = s.adminToken.split('_')[2]!;
  const auth = { authorization: `Bearer ${s.adminToken}` };
  await fetch(s.url + apiPath('listFleets'), { headers: auth });
  await fetch(s.url + apiPath('getRun', { id: 'r00000000' }), { headers: auth });
  await fetch(s.url + apiPath('listFleets', {}, { token: s.adminToken }));
  await fetch(s.url + apiPath('listFleets') + NOT_A_ROUTE + `?token=${s.adminToken}`);
  await fetch(s.url + apiPath('whoami'), { headers: { authorization: `Bearer ${s.adminToken}x` } });
  // The harness itself fetched the OpenAPI document first.
  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.msg === 'request' && e.route !== apiPath('getOpenApi'));
  assert.equal(entries.length, 5, lines.join('\n'));
  for (const l of lines) assert.ok(!l.includes(secret) && !l.includes(s.adminToken), `token in the log: ${l}`);
  for (const e of entries) {
    assert.match(String(e.req_id), /^[0-9a-f-]{36}$/);
    assert.equal(typeof e.ms, 'number');
    assert.equal(e.level, 'info');
    assert.match(String(e.time), /^\d{4}-\d\d-\d\dT/);
  }
  assert.deepEqual(entries.map((e) => [e.route, e.status]), [
    // A query-string token is only for SSE and WebSockets: refused here, and still not logged.
    [apiPath('listFleets'), 200], [fastifyPath(apiRoute('getRun')), 404], [apiPath('listFleets'), 401], [null, 404], [apiPath('whoami'), 401],
  ]);
  assert.match(String(entries[0]!.actor), /^admin.* \([0-9a-f]{12}\)$/);
  assert.equal(entries[3]!.path, apiPath('listFleets') + NOT_A_ROUTE, 'unmatched routes log the path without its query');
  assert.equal(entries[4]!.actor, null);
  const res = await fetch(s.url + apiPath('healthz'));
  assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
});

test('X-Forwarded-For is believed only from a trusted proxy', async (t) => {
  const direct = capture();
  const a = await startTestServer(t, { logger: direct.logger });
  await fetch(a.url + apiPath('healthz'), { headers: { 'x-forwarded-for': '203.0.113.9' } });
  assert.equal((JSON.parse(direct.lines.at(-1)!) as { ip: string }).ip, '127.0.0.1');
  const proxied = capture();
  const b = await startTestServer(t, { logger: proxied.logger, trustProxy: ['127.0.0.1'] });
  await fetch(b.url + apiPath('healthz'), { headers: { 'x-forwarded-for': '203.0.113.9' } });
  assert.equal((JSON.parse(proxied.lines.at(-1)!) as { ip: string }).ip, '203.0.113.9');
});

test("a live server's /metrics, after real requests, passes promtool check metrics", async (t) => {
  const s = await startTestServer(t);
  const auth = { authorization: `Bearer ${s.adminToken}` };
  await fetch(s.url + apiPath('listFleets'), { headers: auth });
  await fetch(s.url + apiPath('listFleets') + NOT_A_ROUTE, { headers: auth });
  const r = await fetch(s.url + apiPath('metrics'), { headers: auth });
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.deepEqual(promtoolCheckMetrics(text), []);
  assert.match(text, /^pudu_api_request_duration_seconds_count\{method="GET",route="\/api\/v1\/fleets",status="200"\} 1$/m);
  assert.match(text, /^pudu_vms 0$/m);
});

test('the terminal WebSocket refused for want of a token names the Bearer scheme too', async (t) => {
  const s = await startTestServer(t);
  const u = new URL(s.url);
  const head = await new Promise<{ status: number; challenge: string | undefined }>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: `${apiRoute('terminal').path}?vm=0`, headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('response', (res) => { res.resume(); resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] as string | undefined }); });
    req.on('upgrade', () => reject(new Error('upgraded without a token')));
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(head, { status: 401, challenge: 'Bearer realm="pudu"' });
});
