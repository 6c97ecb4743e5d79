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
import type { Probe, SolveStep } from './proof.ts';

const skip = sandboxSkipReason();
const PARALLEL_SCENARIOS = Number(process.env.PUDU_SCENARIO_CONCURRENCY ?? 2);
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
        assert.ok(r.state === 'provisioning' || r.state === 'preflight' || r.state === 'running', `run is ${r.state}: ${r.error ?? ''}`);
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
      // The run itself must report the incident (an objective failing in two rounds running), as
      // a trainee would see it, before anything is fixed: a fix before that is no resolution.
      const admin = s.client();
      const eventsOf = async (kinds: RegExp) => (await admin.listRunEvents(created.id)).filter((e) => kinds.test(e.kind));
      await waitFor('the run to report the incident', async () => {
        const r = await trainee.getRun(created.id);
        if (r.state !== 'running') {
          const events = await eventsOf(/^(objective|fault|run|incident)\./);
          assert.fail(`the run must stay unresolved while the symptoms show, but it is ${r.state}: ${events.map((e) => `${e.at} ${e.kind} ${JSON.stringify(e.data)}`).join(' | ')}`);
        }
        return (await eventsOf(/^incident\.seen$/)).length > 0 ? true : undefined;
      }, 180_000, 500);

      await trainee.takeHint(created.id);
      const longestForMs = Math.max(0, ...plan.objectives.map((o) => o.forMs));
      const runSteps = async (steps: SolveStep[], what: string): Promise<void> => {
        for (const step of steps) {
          const vm = vms.get(step.vm)!;
          const r = await sshExec(vm.guestIp, vm.hostLink, bounded(step.run));
          assert.equal(r.code, 0, `${what} on ${step.vm} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
          t.diagnostic(`${what} on ${step.vm}: ${r.stdout.trim().replace(/\s+/g, ' ').slice(-200)}`);
        }
      };
      if (proof.fakeFix) {
        await runSteps(proof.fakeFix, 'fake fix');
        const until = Date.now() + longestForMs + 10_000;
        while (Date.now() < until) {
          const r = await trainee.getRun(created.id);
          assert.equal(r.state, 'running', `the fake fix must not resolve the run: ${JSON.stringify(r.objectives)}`);
          await new Promise((ok) => setTimeout(ok, 1000));
        }
        t.diagnostic(`fake fix held ${(longestForMs + 10_000) / 1000} s without resolving`);
      }

      await runSteps(proof.solve, 'solve');
      const fixedAt = Date.now();
      const resolved = await waitFor(`${name} to resolve`, async () => {
        const r = await trainee.getRun(created.id);
        assert.ok(r.state === 'running' || r.state === 'resolved', `run is ${r.state}: ${r.error ?? ''}`);
        return r.state === 'resolved' ? r : undefined;
      }, longestForMs + (proof.settleS ?? (longestForMs > 0 ? 5 : 20)) * 1000, 250).catch(async (e: Error) => {
        const r = await admin.getRun(created.id);
        throw new Error(`${e.message}; objectives: ${JSON.stringify(r.objectives)}`);
      });
      t.diagnostic(`${name}: resolved ${((Date.now() - fixedAt) / 1000).toFixed(1)} s after the fix (for: ${longestForMs / 1000} s)`);
      const expected = scoreRun({
        scoring: plan.scoring, resolvedAtMs: resolved.resolvedAtMs!, hintsTaken: 1,
        rootCause: plan.rootCause ? { points: plan.rootCause.points, verdict: 'pending' } : null,
      });
      assert.equal(resolved.scoreDetail.score, expected.score);

      // State-driven alerts fired during the incident, never before a fault struck, and clear after the fix.
      const stateAlerts = plan.alerts.filter((a) => a.when).map((a) => a.name);
      if (stateAlerts.length > 0) {
        const events = await eventsOf(/^(alert\.fired|fault\.applied)$/);
        const firstFault = events.find((e) => e.kind === 'fault.applied');
        for (const name of stateAlerts) {
          const fired = events.find((e) => e.kind === 'alert.fired' && e.data.name === name);
          assert.ok(fired, `alert ${name} never fired during the incident`);
          assert.ok(firstFault && fired.seq > firstFault.seq, `alert ${name} fired before any fault struck`);
        }
        await waitFor('every alert to clear after the fix', async () => {
          const r = await admin.getRun(created.id);
          return r.alerts.every((a) => !stateAlerts.includes(a.name) || !a.firing) ? true : undefined;
        // A load alert clears as its 1-minute average decays, like a real monitor's.
        }, 120_000, 500).catch(async (e: Error) => {
          const r = await admin.getRun(created.id);
          const evs = await eventsOf(/^(alert\.|run\.|review\.|fault\.reverted)/);
          const metrics = await admin.getRunMetrics(created.id).catch((x: Error) => x.message);
          throw new Error(`${e.message}; metrics now ${JSON.stringify(metrics)}; alerts ${JSON.stringify(r.alerts)}; events ${evs.map((x) => `${x.at} ${x.kind} ${JSON.stringify(x.data)}`).join(' | ')}`);
        });
      }
      await admin.endReview(created.id);
      t.diagnostic(`${name}: resolved at ${(resolved.resolvedAtMs! / 1000).toFixed(1)} s, score ${resolved.scoreDetail.score}`);
    });
  }
});
