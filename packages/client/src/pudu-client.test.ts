import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiPath, type RunEvent } from '@pudu/schema';
import { PuduApiError } from './api-error.ts';
import { PuduClient } from './pudu-client.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A real HTTP server on loopback answering with `handler`; closed when the test ends. */
async function serve(t: TestContext, handler: Handler): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const event = (seq: number, kind: string): RunEvent => ({ seq, runId: 'r1', at: '2026-11-23T14:00:00.000Z', kind, data: { n: seq } });

test('every request goes to the path the route table gives, with the token and the body', async (t) => {
  const seen: string[] = [];
  const url = await serve(t, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization} ${body}`);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({
        id: 't1', name: 'n', role: 'observer', kind: 'human', user: 'n', groups: [], runId: null, createdAt: 'now', expiresAt: 'later', revokedAt: null, token: 'pudu_x',
      }));
    });
  });
  const created = await new PuduClient({ baseUrl: `${url}/`, token: 'tok' }).createToken({ role: 'observer', name: 'n' });
  assert.equal(created.token, 'pudu_x');
  assert.deepEqual(seen, [`POST ${apiPath('createToken')} Bearer tok {"role":"observer","name":"n"}`]);
});

test('a problem+json answer keeps its code, status and located issues', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.writeHead(422, { 'content-type': 'application/problem+json' }).end(JSON.stringify({
      type: 'urn:pudu:problem:scenario-invalid', title: 'Unprocessable Content', status: 422, code: 'SCENARIO_INVALID', detail: 'x.yaml: 1 problem(s)',
      errors: [{ file: 'x.yaml', line: 3, col: 7, path: 'faults[0].type', message: 'unknown fault type "diks"' }],
    }));
  });
  const err = await new PuduClient({ baseUrl: url }).runScenario({ yaml: 'x' }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof PuduApiError);
  assert.equal(err.code, 'SCENARIO_INVALID');
  assert.equal(err.status, 422);
  assert.equal(err.describe(), 'x.yaml: 1 problem(s)\n  x.yaml:3:7: faults[0].type: unknown fault type "diks"');
});

test('an answer that is not problem+json, or off the contract, is BAD_RESPONSE; no answer is SERVER_UNREACHABLE', async (t) => {
  const url = await serve(t, (req, res) => {
    if (req.url === apiPath('whoami')) res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  const client = new PuduClient({ baseUrl: url });
  await assert.rejects(client.whoami(), (e: PuduApiError) => e.code === 'BAD_RESPONSE' && e.status === 502);
  await assert.rejects(client.health(), (e: PuduApiError) => e.code === 'BAD_RESPONSE' && /version/.test(e.message));
  const closed = await serve(t, () => undefined);
  await assert.rejects(new PuduClient({ baseUrl: closed, timeoutMs: 300 }).health(), (e: PuduApiError) => e.code === 'SERVER_UNREACHABLE' && e.status === 0 && /timed out/.test(e.message));
});

test('a 401 calls onUnauthorized once', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.writeHead(401, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: 'x', title: 'Unauthorized', status: 401, code: 'UNAUTHORIZED', detail: 'revoked' }));
  });
  let calls = 0;
  const client = new PuduClient({ baseUrl: url, onUnauthorized: () => (calls += 1) });
  await assert.rejects(client.whoami(), (e: PuduApiError) => e.code === 'UNAUTHORIZED');
  await assert.rejects(client.whoami());
  assert.equal(calls, 1);
});

test('the event stream is read with CRLF line ends, comments, multi-line data and ids, and resumes after the last seq', async (t) => {
  const asked: { url: string | undefined; last: string | undefined }[] = [];
  const url = await serve(t, (req, res) => {
    asked.push({ url: req.url, last: req.headers['last-event-id'] as string | undefined });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const two = JSON.stringify(event(2, 'hint.taken'), null, 1).split('\n').map((l) => `data: ${l}`).join('\r\n');
    res.write(`: keepalive\r\n\r\nid: 1\r\nevent: run.started\r\ndata: ${JSON.stringify(event(1, 'run.started'))}\r\n\r\n`);
    res.write(`id: 2\r\nevent: hint.taken\r\n${two.slice(0, 20)}`);
    setTimeout(() => res.end(`${two.slice(20)}\r\n\r\nid: 1\ndata: ${JSON.stringify(event(1, 'run.started'))}\n\n`), 50);
  });
  const got: RunEvent[] = [];
  const last = await new PuduClient({ baseUrl: url }).streamRunEvents('r1', (e) => got.push(e));
  assert.deepEqual(got.map((e) => [e.seq, e.kind]), [[1, 'run.started'], [2, 'hint.taken']], 'a replayed seq is not delivered twice');
  assert.equal(last, 2);
  await new PuduClient({ baseUrl: url }).streamRunEvents('r1', () => undefined, { after: 2 });
  assert.deepEqual(asked[1], { url: apiPath('listRunEvents', { id: 'r1' }, { after: 2 }), last: '2' });
});

test('aborting the event stream returns the last seq seen', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`id: 5\ndata: ${JSON.stringify(event(5, 'alert.fired'))}\n\n`);
  });
  const ac = new AbortController();
  const last = await new PuduClient({ baseUrl: url }).streamRunEvents('r1', () => ac.abort(), { signal: ac.signal });
  assert.equal(last, 5);
});

test('the terminal URL comes from the route table and never carries the token', () => {
  const client = new PuduClient({ baseUrl: 'https://pudu.example:8443', token: 'secret' });
  const u = new URL(client.terminalUrl(3, { cols: 100, rows: 30, readOnly: true }));
  assert.equal(`${u.protocol}//${u.host}${u.pathname}`, `wss://pudu.example:8443${apiPath('terminal')}`);
  assert.deepEqual(Object.fromEntries(u.searchParams), { vm: '3', cols: '100', rows: '30', mode: 'readonly' });
  assert.doesNotMatch(u.href, /secret/);
  assert.deepEqual(client.terminalProtocols(), ['pudu.token.secret']);
});
