/**
 * Events without VMs: a run whose fleet cannot be created (this server has no VM driver)
 * fails cleanly, and its events stream over SSE, resumable with Last-Event-ID.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiPath, type RunEvent } from '@pudu/schema';
import { REPO_ROOT, startTestServer } from './harness.ts';
import { waitFor } from './vm-shell.ts';

test('a run whose fleet cannot boot ends failed with the reason, and its events stream over SSE and resume after Last-Event-ID', async (t) => {
  const s = await startTestServer(t);
  const admin = s.client();
  const yaml = readFileSync(join(REPO_ROOT, 'scenarios/monolith/disk-full.yaml'), 'utf8');
  const { run } = await admin.runScenario({ yaml, file: 'disk-full.yaml' });
  const failed = await waitFor('the run to fail', async () => {
    const r = await admin.getRun(run.id);
    return r.state === 'failed' ? r : undefined;
  }, 10_000);
  // The driver's own words stay in the server log (under the error id), never in the run.
  assert.match(failed.error ?? '', /^fleet provisioning failed: the VM driver is not available on this server \(error id [0-9a-f]{12};/);
  assert.equal(failed.score, 0);

  const seen: RunEvent[] = [];
  const ac = new AbortController();
  const last = s.client().streamRunEvents(run.id, (e) => {
    seen.push(e);
    if (e.kind === 'run.failed') ac.abort();
  }, { signal: ac.signal });
  assert.ok((await last) >= 3);
  assert.deepEqual(seen.map((e) => e.kind).slice(0, 3), ['run.created', 'fleet.provisioning', 'run.failed']);
  assert.ok(seen.every((e, i) => i === 0 || e.seq > seen[i - 1]!.seq));

  // Resume: only what came after the given id.
  const res = await fetch(s.url + apiPath('listRunEvents', { id: run.id }), {
    headers: { authorization: `Bearer ${s.adminToken}`, accept: 'text/event-stream', 'last-event-id': String(seen[0]!.seq) },
    signal: AbortSignal.timeout(1500),
  });
  assert.equal(res.status, 200);
  s.openapi.check('GET', apiPath('listRunEvents', { id: run.id }), res.status, res.headers.get('content-type') ?? '', null);
  let text = '';
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  while (!text.includes('event: run.failed')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  assert.doesNotMatch(text, /event: run\.created/);
  assert.match(text, new RegExp(`^id: ${seen[1]!.seq}\\nevent: fleet.provisioning\\ndata: `, 'm'));

  const audit = await admin.listAudit();
  assert.ok(audit.some((e) => e.actor === 'pudu-runner' && e.action === 'run.failed' && e.result === 'error'));
  await assert.rejects(admin.abortRun(run.id), (e: { code: string }) => e.code === 'RUN_NOT_ACTIVE');
});
