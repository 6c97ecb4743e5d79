/**
 * Issue 14's third notification: engaging halt-all fires a signed `halt.engaged` webhook
 * once (an idempotent second engage sweeps again but does not page twice; the next engage
 * after a release does). No VM is needed: the switch is engaged on an empty lab.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from './harness.ts';
import { startReceiver } from './webhook-receiver.ts';
import { waitFor } from './vm-shell.ts';
import { signWebhook } from '../../packages/server/src/webhooks/webhooks.ts';

test('engaging halt-all delivers one signed halt.engaged webhook with the reason and who engaged it', { timeout: 60_000 }, async (t) => {
  const s = await startTestServer(t);
  const admin = s.client();
  const rx = await startReceiver();
  t.after(() => rx.close());
  const secret = 'halt-hook-secret-0123456';
  await admin.createWebhook({ url: rx.url, events: ['halt.engaged'], secret });

  const halts = (): { kind: string; runId: string | null; data: { reason: string; by: string; at: string } }[] =>
    rx.received.map((r) => JSON.parse(r.body) as { kind: string; runId: string | null; data: { reason: string; by: string; at: string } }).filter((b) => b.kind === 'halt.engaged');

  await admin.call('haltAll', { body: { reason: 'game day got out of hand' } });
  await waitFor('the halt.engaged delivery', async () => (halts().length ? true : undefined), 10_000, 50);
  const [first] = halts();
  assert.equal(first!.runId, null);
  assert.equal(first!.data.reason, 'game day got out of hand');
  assert.match(first!.data.by, /admin/);
  assert.ok(!Number.isNaN(Date.parse(first!.data.at)));
  const r = rx.received.find((x) => x.headers['x-pudu-event'] === 'halt.engaged')!;
  assert.equal(r.headers['x-pudu-signature'], signWebhook(secret, String(r.headers['x-pudu-timestamp']), r.body));

  await admin.call('haltAll', { body: { reason: 'pressed again' } });
  await admin.call('releaseHalt', {});
  await admin.call('haltAll', { body: { reason: 'second incident' } });
  await waitFor('the second halt.engaged delivery', async () => (halts().length >= 2 ? true : undefined), 10_000, 50);
  await new Promise((res) => setTimeout(res, 300));
  assert.deepEqual(halts().map((h) => h.data.reason), ['game day got out of hand', 'second incident'], 'a second press while engaged pages nobody');
  const log = await waitFor('both deliveries logged as delivered', async () => {
    const l = await admin.call('listWebhooks', {});
    return l.deliveries.filter((d) => d.kind === 'halt.engaged' && d.state === 'delivered').length === 2 ? l : undefined;
  }, 10_000, 100);
  assert.equal(log.deliveries.filter((d) => d.kind === 'halt.engaged' && d.state === 'delivered').length, 2, 'the delivery log lists both');
  await admin.call('releaseHalt', {});
});
