import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { openStore } from '../store/sql-store.ts';
import { EventBus } from '../runner/event-bus.ts';
import { WebhookStore } from './webhook-store.ts';
import { Webhooks } from './webhooks.ts';
import { webhooksFromOptions } from './webhook-config.ts';
import { startReceiver, type Received } from '../../../../test/server/webhook-receiver.ts';

const SECRET = 'a-secret-of-sixteen+';

/** What a receiver does: recompute the HMAC over `<timestamp>.<body>` and compare in constant time. */
function verify(r: Received, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${String(r.headers['x-pudu-timestamp'])}.${r.body}`).digest('hex')}`);
  const got = Buffer.from(String(r.headers['x-pudu-signature']));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

async function setup(t: TestContext, hooks: { url: string; events?: string[] }[], timeoutMs = 5000) {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-webhooks-'));
  const store = await openStore(join(dir, 'pudu.db'));
  const bus = new EventBus(store);
  const w = new Webhooks(new WebhookStore(store.db), bus, hooks.map((h) => ({ ...h, secret: SECRET })), { attempts: 3, backoffMs: 100, timeoutMs }, () => undefined);
  w.start();
  t.after(async () => {
    await w.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { bus, w };
}

test('run events reach a real receiver as signed JSON, only the kinds it asked for', async (t) => {
  const rx = await startReceiver();
  t.after(() => rx.close());
  const { bus, w } = await setup(t, [{ url: rx.url, events: ['run.resolved'] }]);
  const resolved = { elapsedMs: 90_000, resolvedAtMs: 90_000, score: 93, timePenalty: 7, hintPenalty: 0, actionPenalty: 0 };
  await bus.publish('r1', 'run.started', { timeLimitMs: 600_000 });
  await bus.publish('r1', 'alert.fired', { name: 'X', severity: 'critical', message: 'x', atMs: 0 });
  await bus.publish('r1', 'run.resolved', resolved);
  await waitUntil(() => rx.received.length >= 1);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(rx.received.length, 1);
  const r = rx.received[0]!;
  assert.equal(r.headers['x-pudu-event'], 'run.resolved');
  assert.ok(verify(r, SECRET), 'the signature verifies with the shared secret');
  assert.ok(!verify(r, 'another-secret-of-16'), 'and not with another');
  assert.deepEqual(JSON.parse(r.body).data, resolved);
  const [d] = await w.store.deliveries(10);
  assert.equal(d?.state, 'delivered');
  assert.equal(d?.lastStatus, 204);
});

test('a failing receiver is retried with backoff and every attempt is logged; publishing never waits for it', async (t) => {
  const rx = await startReceiver((n) => (n < 3 ? 500 : 200));
  const slow = await startReceiver(() => 'hang');
  t.after(() => rx.close());
  t.after(() => slow.close());
  const { bus, w } = await setup(t, [{ url: rx.url }, { url: slow.url }], 500);
  const started = Date.now();
  await bus.publish('r2', 'run.started', { timeLimitMs: 600_000 });
  assert.ok(Date.now() - started < 100, 'publish does not wait for deliveries');
  await waitUntil(() => rx.received.length >= 3, 5000);
  const gaps = [rx.received[1]!.at - rx.received[0]!.at, rx.received[2]!.at - rx.received[1]!.at];
  assert.ok(gaps[0]! >= 90 && gaps[1]! >= 190, `backoff doubles: ${gaps.join(', ')} ms`);
  await waitUntil(async () => (await w.store.deliveries(10)).every((d) => d.state !== 'pending'), 5000);
  const log = await w.store.deliveries(10);
  const ok = log.find((d) => d.url === rx.url)!;
  assert.deepEqual([ok.state, ok.attempts, ok.lastStatus], ['delivered', 3, 200]);
  const hung = log.find((d) => d.url === slow.url)!;
  assert.equal(hung.state, 'failed');
  assert.equal(hung.attempts, 3);
  assert.match(hung.lastError ?? '', /timed out after 500 ms/);
});

test('webhook options are checked with their place: a missing secret, a bad URL, a bad kind', (t) => {
  assert.throws(() => webhooksFromOptions(['http://127.0.0.1:1/x'], undefined, {}), /PUDU_WEBHOOK_SECRET/);
  assert.equal(webhooksFromOptions(['http://127.0.0.1:1/x'], undefined, { PUDU_WEBHOOK_SECRET: SECRET })[0]?.url, 'http://127.0.0.1:1/x');
  const dir = mkdtempSync(join(tmpdir(), 'pudu-webhooks-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'hooks.json');
  writeFileSync(file, JSON.stringify([{ url: 'http://127.0.0.1:1/ok', events: ['run.resolved'], secret: SECRET }, { url: 'ftp://x', events: ['run.nope'], secret: 'short' }]));
  assert.throws(() => webhooksFromOptions([], file, {}), (e: Error) => e.message.includes(`${file}[1]`) && /url/.test(e.message) && /events\.0/.test(e.message) && /secret/.test(e.message));
});

async function waitUntil(fn: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
