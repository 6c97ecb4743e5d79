/**
 * Acceptance 3: a rule changed while a run is live denies the next fault. A real server on
 * the sandbox driver runs a two-fault scenario; the policy file is edited after the first
 * fault struck; the second is refused just before it is applied and the run records why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriver } from '@pudu/drivers';
import type { RunEvent } from '@pudu/schema';
import { startTestServer } from '../server/harness.ts';
import { sandboxSkipReason } from '../server/sandbox-server.ts';

const ALLOW = `environments: [{ name: training }]
rules:
  - { name: dns-in-training, what: { fault: dns }, where: training, decision: allow }
`;
const TIGHTENED = `${ALLOW}  - { name: no-late-hijack, what: { fault: dns, params: { record: late.internal } }, where: training, decision: deny }
`;
const SCENARIO = `scenario: { id: policy-mid-run, title: Policy changes mid-run, difficulty: easy, time_limit: 2m }
environment:
  tiers: [{ name: app, count: 1 }]
faults:
  - { id: early, type: dns, target: { vm: app-0 }, params: { record: early.internal, resolve_to: 10.213.0.66 }, at: 0s }
  - { id: late, type: dns, target: { vm: app-0 }, params: { record: late.internal, resolve_to: 10.213.0.67 }, at: 8s }
objectives:
  - { id: disk, description: disk not full, check: { type: agent-metric, target: { vm: app-0 }, metric: disk_used_pct, condition: "< 99" } }
`;

test('a rule changed while a run is live denies the next fault: it is not applied and the run records why', { skip: sandboxSkipReason() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-gov-policy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, ALLOW);
  const driver = await createDriver('sandbox', { log: () => undefined });
  const s = await startTestServer(t, { driver, policyFile });
  const client = s.client();
  const { run } = await client.runScenario({ yaml: SCENARIO, file: 'mid-run.yaml' });
  s.defer(() => client.abortRun(run.id));
  const seen = (kind: string, id?: string) => async (): Promise<RunEvent | undefined> =>
    (await client.listRunEvents(run.id)).find((e) => e.kind === kind && (id === undefined || e.data.id === id));
  const waitFor = async (probe: () => Promise<RunEvent | undefined>, ms: number): Promise<RunEvent> => {
    const until = Date.now() + ms;
    for (;;) {
      const ev = await probe();
      if (ev) return ev;
      const st = await client.getRun(run.id);
      if (st.state !== 'running' && st.state !== 'provisioning' && st.state !== 'preflight' && !(await probe())) throw new Error(`run ${st.state}: ${st.error ?? ''}`);
      if (Date.now() > until) throw new Error(`timed out; events: ${(await client.listRunEvents(run.id)).map((e) => e.kind).join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await waitFor(seen('fault.applied', 'early'), 90_000);
  // The SRE lead tightens the policy while the run is live.
  writeFileSync(policyFile, TIGHTENED);
  const denied = await waitFor(seen('fault.denied', 'late'), 30_000);
  assert.equal(denied.data.rule, 'no-late-hijack');
  assert.match(String(denied.data.reason), /rule no-late-hijack denies it/);
  await waitFor(seen('run.aborted'), 30_000);
  const events = await client.listRunEvents(run.id);
  assert.ok(!events.some((e) => e.kind === 'fault.applied' && e.data.id === 'late'), 'the denied fault was never applied');
  assert.ok(events.some((e) => e.kind === 'fault.reverted' && e.data.id === 'early'), 'the fault in place was reverted');
  const status = await client.getRun(run.id);
  assert.equal(status.state, 'aborted');
  assert.match(status.error ?? '', /the policy denied fault late on app-0 before it was applied/);
  assert.equal(status.faults.find((f) => f.id === 'late')?.state, 'failed');
  assert.match(status.faults.find((f) => f.id === 'late')?.error ?? '', /^denied by policy: /);
});
