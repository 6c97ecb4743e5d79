/**
 * Issue 14, acceptance 3 (the aborted half; the resolved half is in learning-terminal) and
 * the metric history's sampling rate: a run left alone for a few seconds, then aborted,
 * gets a blameless post-mortem in JSON, Markdown and HTML; deleting it takes its data along.
 */
import { test } from 'node:test';
import { apiPath } from '@pudu/schema';
import assert from 'node:assert/strict';
import { sandboxSkipReason, startSandboxServer } from './sandbox-server.ts';
import { waitFor } from './vm-shell.ts';
import { assertBlameless } from './report-checks.ts';
import { openTerminal } from './terminal-ws-client.ts';

const LIVE_MS = 6000;

test('an aborted run: history sampled every second (faults hidden from the trainee until the end), a blameless report in three formats, deleted with its data', { skip: sandboxSkipReason(), timeout: 240_000 }, async (t) => {
  const s = await startSandboxServer(t);
  const admin = s.client();
  const { run: started, traineeToken } = await admin.runScenario({ name: 'monolith/disk-full' });
  const id = started.id;
  s.defer(() => admin.abortRun(id));
  const trainee = s.client(traineeToken);
  const live = await waitFor('the run to start', async () => {
    const r = await admin.getRun(id);
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 120_000, 250);
  const term = await openTerminal(s.url.replace('http', 'ws') + apiPath('terminal', {}, { vm: live.vms[0]!.index }), traineeToken);
  await term.seen('root@app-0:');
  term.type('ls /var/log\r');
  await new Promise((r) => setTimeout(r, LIVE_MS));

  const mid = await trainee.getRunHistory(id);
  const samples = mid.vms.find((v) => v.vm === 'app-0')?.samples ?? [];
  const recent = samples.filter((x) => x.tMs >= 1000 && x.tMs <= LIVE_MS);
  console.log(`# history while live: ${samples.length} samples of app-0, ${recent.length} between 1 s and ${LIVE_MS / 1000} s`);
  assert.ok(recent.length >= (LIVE_MS - 1000) / 1000, `≥ 1 sample per second while live: ${samples.map((x) => x.tMs).join(', ')}`);
  assert.equal(mid.downsampled, false);
  assert.ok(!mid.markers.some((m) => m.kind === 'fault'), 'a trainee sees no fault markers while the run is live');
  assert.ok((await admin.getRunHistory(id)).markers.some((m) => m.kind === 'fault'), 'staff do');
  await assert.rejects(trainee.getRunReport(id).then((r) => assert.equal(r.faults.length, 1)), 'nor faults in an interim report');

  await admin.abortRun(id);
  await term.close();
  const report = await trainee.getRunReport(id);
  assert.equal(report.run.state, 'aborted');
  assert.equal(report.score, null);
  assert.equal(report.timings.resolveMs, null);
  assert.match(report.verdict, /stopped before the objectives were met/);
  assert.equal(report.faults.length, 1, 'once over, the trainee sees what was really broken');
  assert.ok(report.commands.some((c) => c.command === 'ls /var/log'));
  assert.ok(report.timeline.some((x) => x.kind === 'run.aborted'));
  assert.equal(report.history.downsampled, true);
  const md = await trainee.getRunReportText(id, 'markdown');
  const html = await admin.getRunReportText(id, 'html');
  for (const text of [md, html]) {
    assert.ok(text.includes('The exercise was stopped before the objectives were met'));
    assert.ok(text.includes('ls /var/log'));
    assertBlameless(text);
  }
  assert.match(html, /<svg class="chart"/);

  await assert.rejects(trainee.deleteRun(id), (e: { status: number }) => e.status === 403);
  const del = await admin.deleteRun(id);
  assert.deepEqual(del, { id, deleted: true, recordings: 1 });
  await assert.rejects(admin.getRun(id), (e: { code: string }) => e.code === 'RUN_NOT_FOUND');
  await assert.rejects(admin.listRecordings(id), (e: { status: number }) => e.status === 404);
  assert.equal((await s.server.ctx.recordings.store.list(id)).length, 0);
  assert.equal((await s.server.ctx.history.store.list(id)).length, 0);
  await assert.rejects(trainee.getRun(id), (e: { status: number }) => e.status === 401, 'its trainee token is revoked with it');
});
