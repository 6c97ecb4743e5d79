import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

// The built ./puduc/puduc when `make build` ran (as in `make test`), else the source via tsx.
const cmd = existsSync('puduc/puduc') ? ['puduc/puduc'] : ['--import', 'tsx', 'packages/cli/src/main.ts'];
function puduc(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [...cmd, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('scenario validate accepts both seed scenarios with exit 0', () => {
  const r = puduc('scenario', 'validate', 'scenarios/monolith/disk-full.yaml', 'scenarios/microservices/db-connection-exhaustion.yaml');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /disk-full\.yaml: OK\n.*db-connection-exhaustion\.yaml: OK/);
});

test('scenario validate prints five located errors and exits 1 for the five-mistake file', () => {
  const r = puduc('scenario', 'validate', 'packages/engine/src/fixtures/five-mistakes.yaml');
  assert.equal(r.code, 1);
  const lines = r.err.trim().split('\n').filter((l) => /:\d+:\d+: /.test(l));
  assert.deepEqual(lines.map((l) => l.split(': ')[0]!.split(':').slice(1).join(':')), ['3:3', '11:11', '17:13', '18:9', '27:18']);
});

test('scenario validate --json reports every file', () => {
  const r = puduc('scenario', 'validate', '--json', 'scenarios/monolith/disk-full.yaml', 'packages/engine/src/fixtures/five-mistakes.yaml');
  assert.equal(r.code, 1);
  const body = JSON.parse(r.out) as { valid: boolean; files: { file: string; valid: boolean; errors: { line: number; col: number; path: string }[] }[] };
  assert.equal(body.valid, false);
  assert.deepEqual(body.files.map((f) => [f.valid, f.errors.length]), [[true, 0], [false, 5]]);
  assert.deepEqual(body.files[1]!.errors[0], { file: 'packages/engine/src/fixtures/five-mistakes.yaml', line: 3, col: 3, path: 'scenario.titel', message: 'unknown key "titel" (did you mean "title"?)' });
});

test('scenario plan --json lists the VMs and the timeline in order', () => {
  const r = puduc('scenario', 'plan', 'scenarios/microservices/db-connection-exhaustion.yaml', '--json', '--seed', '5');
  assert.equal(r.code, 0, r.err);
  const plan = JSON.parse(r.out) as { seed: number; vms: { name: string }[]; timeline: { atMs: number; ref: string; vm?: string }[] };
  assert.equal(plan.seed, 5);
  assert.deepEqual(plan.vms.map((v) => v.name), ['api-0', 'api-1', 'db-0']);
  assert.deepEqual(plan.timeline[0], { atMs: 0, kind: 'fault-start', ref: 'db-cpu-spike', vm: 'db-0' });
  const times = plan.timeline.map((e) => e.atMs);
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
});

test('scenario plan prints tables for people', () => {
  const r = puduc('scenario', 'plan', 'scenarios/monolith/disk-full.yaml');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^NAME +TIER +VCPUS +MEM_MB +DISK_MB +SERVICES\napp-0 +app +1 +512 +1024 +nginx,app-server,postgresql$/m);
  assert.match(r.out, /^0s +fault-start +disk-fill-app +app-0 +disk path=\/$/m);
  assert.match(r.out, /^10m +fault-end +disk-fill-app +app-0$/m);
});

test('wrong usage exits 2 and a bad --seed is explained', () => {
  assert.equal(puduc('scenario', 'frobnicate').code, 2);
  const r = puduc('scenario', 'plan', 'scenarios/monolith/disk-full.yaml', '--seed', '-3');
  assert.equal(r.code, 2);
  assert.match(r.err, /--seed must be an integer/);
});

// The engine's experiment fixture: a cpu ramp on the app tier, steady state on /healthz, abort conditions, guardrails.
const EXPERIMENT = readFileSync(new URL('../../../engine/src/fixtures/experiment-cpu-ramp.yaml', import.meta.url), 'utf8');

test('scenario plan shows a ramp\'s steps on the timeline, an experiment\'s steady state, abort conditions and guardrails', async () => {
  const { parseScenario, compileScenario } = await import('@pudu/engine');
  const { formatPlan } = await import('./scenario-local.ts');
  const r = parseScenario(EXPERIMENT, 'exp.yaml');
  assert.ok(r.ok);
  const text = formatPlan(compileScenario(r.spec));
  assert.match(text, /\n30s +fault-start +cpu-ramp +app-\d +cpu load=20% .*\(ramp step 1\/3\)/);
  assert.match(text, /1m30s +fault-step +cpu-ramp +step 2\/3: load=50% on app-\d,app-\d \(on breach: hold\)/);
  assert.match(text, /2m30s +fault-step +cpu-ramp +step 3\/3: load=80% on app-0,app-1,app-2,app-3/);
  assert.match(text, /Steady state[\s\S]*api-ok +http GET :80\/healthz → 200 within 150 ms +app-0,app-1,app-2,app-3 +≥ 95 % over 30s/);
  assert.match(text, /Abort when[\s\S]*db-mem +mem_used_pct > 90 holds +db-0 +10s/);
  assert.match(text, /Guardrails \(abort after 3s\): host memory free ≥ 5 %; host disk free ≥ 5 %; VM cpu ≤ 95 %; ≤ 200 injections/);
  assert.match(text, /Verdict: held \/ refuted \/ aborted \/ inconclusive \(no score\)/);
});
