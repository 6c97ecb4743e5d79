/**
 * `puduc scenario validate FILE…` and `puduc scenario plan FILE`: offline, no server,
 * nothing touched — the trainer's loop while writing a scenario.
 */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { compileScenario, formatIssue, loadScenarioFile } from '@pudu/engine';
import type { CompiledScenario, ScenarioIssue } from '@pudu/engine';
import { formatDurationMs } from '@pudu/schema';
import { EXIT, formatTable, printJson } from '../output.ts';

interface FileResult {
  file: string;
  valid: boolean;
  errors: ScenarioIssue[];
}

async function validateFiles(files: string[]): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const file of files) {
    const r = await loadScenarioFile(file);
    results.push({ file, valid: r.ok, errors: r.ok ? [] : r.errors });
  }
  return results;
}

function checkText(o: { check: CompiledScenario['objectives'][number]['check'] }): string {
  const c = o.check;
  if (c.type === 'http') return `http GET :${c.port}${c.path} → ${c.expectedStatus}${c.latencyBelowMs === null ? '' : ` within ${c.latencyBelowMs} ms`}`;
  if (c.type === 'agent-metric') return `${c.metric} ${c.condition}`;
  if (c.type === 'fault-cleared') return `${c.fault} cleared`;
  if (c.type === 'probe') return `ping loss < ${c.lossBelowPct} %${c.latencyBelowMs === null ? '' : `, p95 < ${c.latencyBelowMs} ms`} over ${c.overMs / 1000} s`;
  if (c.type === 'e2e') return `write and read /api/items on :${c.port}`;
  if (c.type === 'unit-healthy') return `${c.service} up ≥ ${c.stableMs / 1000} s without a restart`;
  return `${c.service} active`;
}

function guardrailText(g: CompiledScenario['guardrails']): string {
  return [
    g.hostLoadPerCpu !== null ? `host load/CPU ≤ ${g.hostLoadPerCpu}` : '',
    `host memory free ≥ ${g.hostMemFreePct} %`, `host disk free ≥ ${g.hostDiskFreePct} %`,
    g.vmCpuPct !== null ? `VM cpu ≤ ${g.vmCpuPct} %` : '', g.vmMemPct !== null ? `VM memory ≤ ${g.vmMemPct} %` : '', g.vmDiskPct !== null ? `VM disk ≤ ${g.vmDiskPct} %` : '',
    `≤ ${g.maxInjections} injections`, g.maxActiveFaults !== null ? `≤ ${g.maxActiveFaults} faults at once` : '',
  ].filter(Boolean).join('; ');
}

/** The charter as a reviewer reads it; one line when the scenario has none. */
export function formatCharter(c: CompiledScenario['charter']): string {
  if (!c) return 'Charter: none (add a charter: block, see docs/governance.md)';
  return [
    'Charter',
    `  hypothesis:  ${c.hypothesis}`,
    `  owner:       ${c.owner}`,
    `  scope:       ${c.scope}`,
    '  success criteria:',
    ...c.success_criteria.map((x) => `    - ${x}`),
    `  rollback:    ${c.rollback}`,
    ...(c.approvers?.length ? [`  approvers:   ${c.approvers.join(', ')}`] : []),
    ...(c.window ? [`  window:      ${c.window}`] : []),
  ].join('\n');
}

/** The plan as the tables a trainer reads before running it. */
export function formatPlan(plan: CompiledScenario): string {
  const t = (ms: number): string => formatDurationMs(ms);
  const faultById = new Map(plan.faults.map((f) => [`${f.id}@${f.vm}`, f]));
  return [
    `${plan.title} (${plan.id}) — ${plan.difficulty}, ${plan.architecture}; time limit ${t(plan.timeLimitMs)}; seed ${plan.seed}`,
    '',
    formatCharter(plan.charter),
    '',
    'VMs',
    formatTable(['NAME', 'TIER', 'VCPUS', 'MEM_MB', 'DISK_MB', 'SERVICES'], plan.vms.map((v) => [v.name, v.tier, String(v.vcpus), String(v.memMb), String(v.diskMb), v.services.join(',')])),
    '',
    'Timeline',
    formatTable(['AT', 'EVENT', 'REF', 'VM', 'DETAIL'], plan.timeline.map((e) => {
      const f = e.vm ? faultById.get(`${e.ref}@${e.vm}`) : undefined;
      const alert = plan.alerts.find((a) => a.name === e.ref);
      const params = (p: Record<string, string | number>): string => Object.entries(p).map(([k, v]) => `${k}=${v}`).join(' ');
      const ramp = plan.ramps.find((r) => r.faultId === e.ref);
      const step = e.kind === 'fault-step' && ramp && e.step ? ramp.steps[e.step - 1] : undefined;
      const detail = e.kind === 'alert' ? `${alert?.severity ?? ''}: ${alert?.message ?? ''}`
        : e.kind === 'fault-start' && f ? `${f.type} ${params(f.params)}${ramp ? ` (ramp step 1/${ramp.steps.length})` : ''}`
        : step && ramp ? `step ${e.step}/${ramp.steps.length}: ${params(step.params)} on ${step.vms.join(',')} (on breach: ${ramp.onBreach})` : '';
      return [t(e.atMs), e.kind, e.ref, e.vm ?? '', detail];
    })),
    '',
    ...(plan.mode === 'experiment' ? [
      'Steady state (must hold before the first fault and throughout)',
      formatTable(['ID', 'CHECK', 'VMS', 'TOLERANCE'], plan.steadyState.map((s) => [s.id, checkText(s.condition), s.condition.vms.join(','), `≥ ${s.passPct} % over ${t(s.overMs)}`])),
      '',
      'Abort when',
      formatTable(['ID', 'CONDITION', 'VMS', 'FOR'], plan.abortWhen.map((a) => [a.id, `${checkText(a.condition)} ${a.on === 'failing' ? 'fails' : 'holds'}`, a.condition.vms.join(','), t(a.condition.forMs)])),
    ] : [
      'Objectives',
      formatTable(['ID', 'CHECK', 'VMS', 'DESCRIPTION'], plan.objectives.map((o) => [o.id, checkText(o), o.vms.join(','), o.description])),
    ]),
    '',
    `Guardrails (${plan.guardrails.onBreach} after ${t(plan.guardrails.forMs)}): ${guardrailText(plan.guardrails)}`,
    ...(plan.extraFaults.length ? [`Extra faults an instructor may inject: ${[...new Set(plan.extraFaults.map((f) => `${f.id} (${f.type})`))].join(', ')}`] : []),
    '',
    plan.mode === 'experiment' ? 'Verdict: held / refuted / aborted / inconclusive (no score)'
      : `Scoring: base ${plan.scoring.base}, −${plan.scoring.timePenaltyPerSecond}/s after ${t(plan.scoring.perfectWindowMs)}, −${plan.scoring.hintPenalty} per hint (${plan.hints.length} hints)`,
  ].join('\n');
}

export function registerScenarioLocal(scenario: Command): void {
  scenario
    .command('validate')
    .description('check scenario files offline; every problem as FILE:LINE:COL: path: message (exit 0 all valid, 1 otherwise)')
    .argument('<files...>', 'scenario YAML files')
    .option('--json', 'machine-readable output')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const results = await validateFiles(files);
      if (opts.json) printJson({ valid: results.every((r) => r.valid), files: results });
      else {
        for (const r of results) {
          if (r.valid) console.log(`${r.file}: OK`);
          else for (const e of r.errors) console.error(formatIssue(e));
        }
        const bad = results.filter((r) => !r.valid).length;
        if (bad) console.error(`${bad} of ${results.length} file(s) invalid, ${results.reduce((n, r) => n + r.errors.length, 0)} problem(s)`);
      }
      process.exitCode = results.every((r) => r.valid) ? EXIT.OK : EXIT.FAILED;
    });

  scenario
    .command('plan')
    .description('dry run: the VMs, the timeline of faults and alerts, objectives and scoring — touches nothing')
    .argument('<file>', 'scenario YAML file')
    .option('--seed <n>', 'seed for random target selection (default: the scenario\'s, else a new one)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new InvalidArgumentError(`--seed must be an integer 0…4294967295, got ${v}`);
      return n;
    })
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { json?: boolean; seed?: number }) => {
      const r = await loadScenarioFile(file);
      if (!r.ok) {
        if (opts.json) printJson({ valid: false, file, errors: r.errors });
        else for (const e of r.errors) console.error(formatIssue(e));
        process.exitCode = EXIT.FAILED;
        return;
      }
      const plan = compileScenario(r.spec, opts.seed === undefined ? {} : { seed: opts.seed });
      if (opts.json) printJson(plan);
      else console.log(formatPlan(plan));
    });
}
