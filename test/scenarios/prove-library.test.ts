/**
 * Every library scenario proves itself on the real platform (server, sandbox VMs with
 * systemd, sshd and the agent): each listed symptom is observed with its probe while the
 * incident runs, the expert's solve fixes it over SSH, and the run resolves with the
 * formula's score. Needs root (namespaces); runs a few scenarios at a time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { compileScenario, parseScenario, scoreRun } from '@pudu/engine';
import type { RunStatus } from '@pudu/schema';
import { sandboxSkipReason, startSandboxServer } from '../server/sandbox-server.ts';
import { sshExec, waitFor } from '../server/vm-shell.ts';
import { libraryFiles, loadProof } from './library.ts';
import type { Probe } from './proof.ts';

const skip = sandboxSkipReason();
const PARALLEL_SCENARIOS = Number(process.env.PUDU_SCENARIO_CONCURRENCY ?? 3);
const SEED = 20261123;
/** A scenario that has not resolved by then is stuck, not slow. */
const SCENARIO_TIMEOUT_MS = 8 * 60_000;

type Vm = RunStatus['vms'][number];

async function observe(probe: Probe, vms: Map<string, Vm>): Promise<string> {
  const outputs: string[] = [];
  for (const name of [probe.vm].flat()) {
    const vm = vms.get(name);
    assert.ok(vm, `no VM ${name} in the run`);
    const r = await sshExec(vm.guestIp, vm.hostLink, bounded(probe.run));
    outputs.push(r.stdout.trim());
  }
  return outputs.join('\n');
}

/** No probe or solve step may hang the test: each runs under coreutils' timeout. */
const STEP_TIMEOUT_S = 120;
const bounded = (cmd: string): string => `timeout ${STEP_TIMEOUT_S} bash -c '${cmd.replace(/'/g, `'\\''`)}'`;

const matches = (probe: Probe, out: string): boolean => (probe.expect instanceof RegExp ? probe.expect.test(out) : probe.expect(out));

describe('the scenario library on the sandbox driver', { skip, concurrency: PARALLEL_SCENARIOS }, () => {
  for (const file of libraryFiles()) {
    const name = file.replace(/^scenarios\//, '').replace(/\.yaml$/, '');
    it(`${name}: symptoms observable, solve resolves it, score follows the formula`, { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
      const proof = await loadProof(file);
      if (!proof) return t.skip('no proof beside the scenario (library.test.ts fails for it)');
      const parsed = parseScenario(await readFile(file, 'utf8'), file);
      assert.ok(parsed.ok);
      const plan = compileScenario(parsed.spec, { seed: SEED });
      const s = await startSandboxServer(t);
      const { run: created, traineeToken } = await s.client().runScenario({ name, seed: SEED });
      s.defer(() => s.client().abortRun(created.id));
      const trainee = s.client(traineeToken);
      const live = await waitFor(`${name} to start`, async () => {
        const r = await trainee.getRun(created.id);
        assert.ok(r.state === 'provisioning' || r.state === 'running', `run is ${r.state}: ${r.error ?? ''}`);
        return r.state === 'running' ? r : undefined;
      }, 120_000, 250);
      const vms = new Map(live.vms.map((v) => [v.name, v]));
      t.diagnostic(`${name}: running on ${live.vms.map((v) => v.name).join(', ')}`);

      for (const probe of proof.probes) {
        let last = '';
        await waitFor(`symptom "${probe.symptom}"`, async () => {
          const r = await trainee.getRun(created.id);
          if (r.state !== 'running') assert.fail(`the run ended (${r.state}) before the symptom showed: ${r.error ?? ''}`);
          last = await observe(probe, vms);
          return matches(probe, last) ? true : undefined;
        }, probe.timeoutMs ?? 60_000, 1000).catch((e: Error) => {
          throw new Error(`${e.message}; last output ${JSON.stringify(last)}`);
        });
        t.diagnostic(`observed: ${probe.symptom} → ${JSON.stringify(last.slice(0, 120))}`);
      }
      // Slow incidents (a leak) show symptoms before an objective crosses its threshold.
      await waitFor('some objective to fail during the incident', async () => {
        const r = await trainee.getRun(created.id);
        if (r.state !== 'running') {
          // Say what ended it: the objective and fault events with their times.
          const events = (await s.client().listRunEvents(created.id)).filter((e) => /^(objective|fault|run)\./.test(e.kind));
          assert.fail(`the run must stay unresolved while the symptoms show, but it is ${r.state}: ${events.map((e) => `${e.at} ${e.kind} ${JSON.stringify(e.data)}`).join(' | ')}`);
        }
        return r.objectives.some((o) => !o.passing) ? true : undefined;
      }, 180_000, 500);

      await trainee.takeHint(created.id);
      for (const step of proof.solve) {
        const vm = vms.get(step.vm)!;
        const r = await sshExec(vm.guestIp, vm.hostLink, bounded(step.run));
        // A fix can resolve the run (and end its fleet) before the step's shell exits.
        if (r.code === -1 && (await trainee.getRun(created.id)).state === 'resolved') break;
        assert.equal(r.code, 0, `solve on ${step.vm} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
        t.diagnostic(`solve on ${step.vm}: ${r.stdout.trim().replace(/\s+/g, ' ').slice(-200)}`);
      }
      const resolved = await waitFor(`${name} to resolve`, async () => {
        const r = await trainee.getRun(created.id);
        assert.ok(r.state === 'running' || r.state === 'resolved', `run is ${r.state}: ${r.error ?? ''}`);
        return r.state === 'resolved' ? r : undefined;
      }, (proof.settleS ?? 20) * 1000, 250).catch(async (e: Error) => {
        const r = await trainee.getRun(created.id);
        throw new Error(`${e.message}; objectives: ${JSON.stringify(r.objectives)}`);
      });
      const expected = scoreRun({ scoring: plan.scoring, resolvedAtMs: resolved.resolvedAtMs!, hintsTaken: 1 });
      assert.equal(resolved.scoreDetail.score, expected.score);
      t.diagnostic(`${name}: resolved at ${(resolved.resolvedAtMs! / 1000).toFixed(1)} s, score ${resolved.scoreDetail.score}`);
    });
  }
});
