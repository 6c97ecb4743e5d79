/**
 * Scoring what the responder did, on the real platform: in the red-herring scenario, killing
 * the busy process on api-0 (the loud alert, not the cause) is charged as a penalty, and the
 * root-cause answer at resolution changes the score. Also: a trainee's view never names the
 * mechanism (no faults, no staff details). Needs root (sandbox VMs).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { compileScenario, parseScenario, scoreRun } from '@pudu/engine';
import { sandboxSkipReason, startSandboxServer } from '../server/sandbox-server.ts';
import { sshExec, waitFor } from '../server/vm-shell.ts';
import proof from '../../scenarios/microservices/red-herring.proof.ts';

const FILE = 'scenarios/microservices/red-herring.yaml';
const SEED = 20261123;

describe('red herring: what the responder did counts', { skip: sandboxSkipReason() }, () => {
  it('killing the busy process on api-0 costs its penalty, and a wrong root-cause answer costs its points', { timeout: 8 * 60_000 }, async (t) => {
    const parsed = parseScenario(await readFile(FILE, 'utf8'), FILE);
    assert.ok(parsed.ok);
    const plan = compileScenario(parsed.spec, { seed: SEED });
    const s = await startSandboxServer(t);
    const admin = s.client();
    const { run: created, traineeToken } = await admin.runScenario({ name: 'microservices/red-herring', seed: SEED });
    s.defer(() => admin.abortRun(created.id));
    const trainee = s.client(traineeToken);
    const live = await waitFor('the run to start', async () => {
      const r = await trainee.getRun(created.id);
      assert.ok(r.state === 'provisioning' || r.state === 'preflight' || r.state === 'running', `run is ${r.state}: ${r.error ?? ''}`);
      return r.state === 'running' ? r : undefined;
    }, 180_000, 250);
    const vms = new Map(live.vms.map((v) => [v.name, v]));
    const shell = async (vm: string, cmd: string): Promise<string> => {
      const v = vms.get(vm)!;
      const r = await sshExec(v.guestIp, v.hostLink, cmd);
      assert.equal(r.code, 0, `${cmd} on ${vm}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const events = async (kind: string) => (await admin.listRunEvents(created.id)).filter((e) => e.kind === kind);
    await waitFor('the run to report the incident', async () => ((await events('incident.seen')).length > 0 ? true : undefined), 180_000, 500);

    // What a hurried responder does with a CPU alert: kill the busiest process.
    const killed = await shell('api-0', `ps -eo pid,pcpu,comm --sort=-pcpu --no-headers | head -1 | tee /dev/stderr | awk '{print $1}' | xargs kill -9; echo done`);
    assert.equal(killed, 'done');
    const charged = await waitFor('the penalty to be charged', async () => (await events('penalty.charged'))[0], 60_000, 500);
    assert.equal(charged.data.id, 'killed-noisy-neighbour');

    for (const step of proof.solve) await shell(step.vm, step.run);
    const resolved = await waitFor('the run to resolve', async () => {
      const r = await trainee.getRun(created.id);
      assert.ok(r.state === 'running' || r.state === 'resolved', `run is ${r.state}: ${r.error ?? ''}`);
      return r.state === 'resolved' ? r : undefined;
    }, 60_000, 250);
    assert.deepEqual(resolved.penalties.map((p) => p.id), ['killed-noisy-neighbour']);
    assert.equal(resolved.scoreDetail.actionPenalty, 30);
    assert.ok(resolved.reviewUntil, 'the fleet stays for review');
    assert.deepEqual(resolved.faults, [], 'a trainee sees no faults');
    assert.ok(resolved.objectives.every((o) => o.staffDetail === undefined), 'a trainee sees no staff details');
    assert.ok(resolved.rootCause && resolved.rootCause.choices && !resolved.rootCause.answered);

    const parts = (verdict: 'correct' | 'wrong') => scoreRun({
      scoring: plan.scoring, resolvedAtMs: resolved.resolvedAtMs!, hintsTaken: 0,
      penalties: [{ id: 'killed-noisy-neighbour', points: 30 }], rootCause: { points: plan.rootCause!.points, verdict },
    }).score;
    assert.equal(resolved.scoreDetail.score, parts('correct'), 'no charge while the question is open');
    const verdict = await trainee.answerRootCause(created.id, 0);
    assert.deepEqual(verdict, { correct: false, points: 30 });
    const after = await trainee.getRun(created.id);
    assert.equal(after.scoreDetail.score, parts('wrong'));
    assert.equal(parts('correct') - parts('wrong'), 30);
    await assert.rejects(trainee.answerRootCause(created.id, 2), (e: Error & { code?: string }) => e.code === 'CONFLICT');

    const ended = await trainee.endReview(created.id);
    assert.equal(ended.reviewUntil, null);
    t.diagnostic(`score ${after.scoreDetail.score}: − ${after.scoreDetail.actionPenalty} for the kill, − ${after.scoreDetail.rootCausePenalty} for the answer`);
  });
});
