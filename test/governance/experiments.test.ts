import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { PuduApiError } from '@pudu/client';
import { MATRIX_CASES, matrixScenario } from '../../packages/engine/src/policy/matrix-cases.ts';
import { REPO_ROOT, startTestServer } from '../server/harness.ts';
import { postgresSkipReason, startPostgres } from '../server/postgres-instance.ts';

const POLICY = join(REPO_ROOT, 'docs/examples/blast-radius-policy.yaml');
const STOP_POSTGRES = MATRIX_CASES.find((c) => c.name === 'stop postgresql in the lab as engineer')!;

async function twoPersonRule(t: TestContext, database?: string): Promise<void> {
  const s = await startTestServer(t, { policyFile: POLICY, ...(database ? { database } : {}) });
  const admin = s.client();
  const mint = async (role: string, user: string) => s.client((await admin.createToken({ role, name: user, user })).token);
  const eve = await mint('engineer', 'eve');
  const ann = await mint('sre', 'ann');
  const bob = await mint('sre', 'bob');
  const dev = await mint('engineer', 'dan');
  const yaml = matrixScenario(STOP_POSTGRES.fault);

  // Directly, the run is refused: it needs approvals.
  await assert.rejects(eve.runScenario({ yaml, environment: 'lab' }), (e: PuduApiError) => e.status === 403 && e.code === 'APPROVAL_REQUIRED');
  await assert.rejects(eve.call('proposeExperiment', { body: { yaml, environment: 'labb' } }), (e: PuduApiError) => e.code === 'UNKNOWN_ENVIRONMENT');
  const x = await eve.call('proposeExperiment', { body: { yaml, file: 'stop-pg.yaml', environment: 'lab' } });
  assert.equal(x.state, 'pending');
  assert.deepEqual(x.decision.requirements, [{ count: 2, from: ['sre'] }]);
  const id = { id: x.id };

  await assert.rejects(eve.call('runExperiment', { params: id }), (e: PuduApiError) => e.code === 'APPROVAL_REQUIRED');
  await assert.rejects(eve.call('approveExperiment', { params: id, body: { sha256: x.sha256 } }), (e: PuduApiError) => e.status === 403 && e.code === 'SELF_APPROVAL');
  await assert.rejects(dev.call('approveExperiment', { params: id, body: { sha256: x.sha256 } }), (e: PuduApiError) => e.status === 403 && e.code === 'NOT_AN_APPROVER');
  const one = await ann.call('approveExperiment', { params: id, body: { sha256: x.sha256, comment: 'lab only, fine' } });
  assert.equal(one.state, 'pending');
  await assert.rejects(ann.call('approveExperiment', { params: id, body: { sha256: x.sha256 } }), (e: PuduApiError) => e.code === 'ALREADY_APPROVED');
  const two = await bob.call('approveExperiment', { params: id, body: { sha256: x.sha256 } });
  assert.equal(two.state, 'approved');
  assert.deepEqual(two.progress[0]?.by, ['ann', 'bob']);

  // One character changed: both approvals are void, and an approval of the old text is stale.
  const edited = await eve.call('updateExperiment', { params: id, body: { yaml: yaml.replace('api answers', 'api answerz') } });
  assert.equal(edited.state, 'pending');
  assert.notEqual(edited.sha256, x.sha256);
  assert.deepEqual(edited.votes.map((v) => v.valid), [false, false]);
  assert.equal(edited.progress[0]?.by.length, 0);
  assert.match(edited.previous?.diff ?? '', /-    description: api answers\n\+    description: api answerz/);
  await assert.rejects(eve.call('runExperiment', { params: id }), (e: PuduApiError) => e.code === 'APPROVAL_REQUIRED');
  await assert.rejects(ann.call('approveExperiment', { params: id, body: { sha256: x.sha256 } }), (e: PuduApiError) => e.status === 409 && e.code === 'APPROVAL_STALE');

  await ann.call('approveExperiment', { params: id, body: { sha256: edited.sha256 } });
  assert.equal((await bob.call('approveExperiment', { params: id, body: { sha256: edited.sha256 } })).state, 'approved');
  const started = await eve.call('runExperiment', { params: id });
  assert.equal(started.run.experimentId, x.id);
  assert.equal(started.run.environment, 'lab');
  const after = await admin.call('getExperiment', { params: id });
  assert.equal(after.state, 'started');
  assert.equal(after.runId, started.run.id);
  await assert.rejects(eve.call('runExperiment', { params: id }), (e: PuduApiError) => e.code === 'EXPERIMENT_STATE');

  const audit = await admin.listAudit(200);
  const actions = audit.filter((a) => a.target === `experiment ${x.id}`).map((a) => `${a.actor.split(' ')[0]} ${a.result}`);
  assert.ok(actions.includes('eve denied'), 'the refused self-approval is audited');
  assert.ok(audit.some((a) => a.action === 'experiment.approvals-voided'), 'voided approvals are audited');
}

test('two distinct SREs must approve a postgresql stop in the lab; self-approval refused; an edit voids approvals; the run is linked (SQLite)', async (t) => {
  await twoPersonRule(t);
});

test('the same two-person rule on PostgreSQL', { skip: postgresSkipReason() }, async (t) => {
  const pg = await startPostgres();
  t.after(() => pg.stop());
  await twoPersonRule(t, pg.url);
});

test('a proposal that needs no approval is approved at once; one the policy denies is stored denied with its reasons', async (t) => {
  const s = await startTestServer(t, { policyFile: POLICY });
  const eve = s.client((await s.client().createToken({ role: 'engineer', name: 'eve' })).token);
  const ok = await eve.call('proposeExperiment', { body: { yaml: matrixScenario(MATRIX_CASES[0]!.fault), environment: 'lab' } });
  assert.equal(ok.state, 'approved');
  const no = await eve.call('proposeExperiment', { body: { yaml: matrixScenario(MATRIX_CASES[12]!.fault), environment: 'lab' } });
  assert.equal(no.state, 'denied');
  assert.match(no.decision.reasons.join(' '), /no rule matches: denied by default/);
  const past = await eve.call('proposeExperiment', { body: { yaml: matrixScenario(MATRIX_CASES[0]!.fault), environment: 'lab', window: '2020-01-01T00:00Z/PT1H' } }).catch((e: PuduApiError) => e);
  assert.equal((past as PuduApiError).code, 'OUTSIDE_WINDOW');
  const later = await eve.call('proposeExperiment', { body: { yaml: matrixScenario(MATRIX_CASES[0]!.fault), environment: 'lab', window: '2099-01-01T00:00Z/PT1H' } });
  await assert.rejects(eve.call('runExperiment', { params: { id: later.id } }), (e: PuduApiError) => e.status === 409 && e.code === 'OUTSIDE_WINDOW');
});
