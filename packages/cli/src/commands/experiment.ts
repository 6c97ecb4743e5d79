/**
 * `puduc experiment check|propose|list|show|update|approve|reject|run`. `check` is the
 * offline pre-check a CI job runs on a pull request (the PR is the proposal); the rest talk
 * to the server's experiments routes. check exits 0 allowed, 1 denied or invalid, 4 needs approval.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { actorOf, compileScenario, evaluatePolicy, experimentSha256, formatIssue, nextWindowOpeningOrNow, parseScenario } from '@pudu/engine';
import { PuduError, type Experiment } from '@pudu/schema';
import { EXIT, formatTable, printJson } from '../output.ts';
import { clientFromEnv, withClient } from './remote.ts';
import { DECISION_EXIT, formatDecision, loadPolicyOrIssues } from './policy.ts';
import { formatCharter } from './scenario-local.ts';

const collect = (v: string, acc: string[]): string[] => [...acc, v];

function formatExperiment(e: Experiment): string {
  const lines = [
    `experiment ${e.id}: ${e.title} (${e.scenarioId}) — ${e.state.toUpperCase()}`,
    `environment ${e.environment}; window ${e.window ?? 'any time'}; proposed by ${e.proposer}; version ${e.version} sha256 ${e.sha256}`,
    ...(e.runId ? [`run ${e.runId}`] : []),
    '',
    formatCharter(e.charter),
    '',
    'Pre-checks',
    ...e.checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`),
    '',
    formatDecision(e.decision, e.file),
  ];
  if (e.progress.length) {
    lines.push('', 'Approvals', ...e.progress.map((p) => `  ${p.met ? '✓' : '…'} ${p.by.length}/${p.count} from ${p.from.join(' or ')}${p.by.length ? `: ${p.by.join(', ')}` : ''}`));
  }
  if (e.votes.length) {
    lines.push('', formatTable(['WHO', 'ROLE', 'VOTE', 'VERSION', 'AT', 'COMMENT'], e.votes.map((v) => [v.user, v.role, v.decision, v.valid ? 'current' : 'voided (changed since)', v.at, v.comment])));
  }
  if (e.previous) lines.push('', `Changes since version ${e.previous.version}${e.previous.approved ? ' (approved)' : ''}:`, e.previous.diff);
  return lines.join('\n');
}

export function registerExperiment(program: Command): void {
  const exp = program.command('experiment').description('propose → check → approve → run, under the blast-radius policy');

  exp
    .command('check')
    .description('offline pre-check for GitOps: validate, compile, policy (exit 0 allowed, 1 denied/invalid, 4 needs approval)')
    .argument('<file>', 'scenario YAML file')
    .requiredOption('--env <name>', 'environment it would run in')
    .option('--policy <file>', 'policy file (default: the built-in default policy)')
    .option('--as <role>', 'the proposer\'s role', 'engineer')
    .option('--group <name>', 'a group of the proposer (repeatable)', collect, [] as string[])
    .option('--window <window>', 'when it would run (default: the charter\'s window)')
    .option('--json', 'machine-readable output')
    .action(async (file: string, o: { env: string; policy?: string; as: string; group: string[]; window?: string; json?: boolean }) => {
      const out = { file, environment: o.env, window: o.window ?? null as string | null, sha256: '', checks: [] as { name: string; ok: boolean; detail: string }[], decision: null as ReturnType<typeof evaluatePolicy> | null };
      const finish = (code: number): void => {
        if (o.json) printJson(out);
        else {
          for (const c of out.checks) console.log(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`);
          if (out.decision) console.log(`\n${formatDecision(out.decision, file, true)}`);
          if (out.sha256) console.log(`\nsha256 (scenario + environment + window): ${out.sha256}`);
        }
        process.exitCode = code;
      };
      const text = await readFile(file, 'utf8').catch((e: Error) => e);
      if (text instanceof Error) {
        out.checks.push({ name: 'validate', ok: false, detail: `cannot read ${file}: ${text.message}` });
        return finish(EXIT.FAILED);
      }
      const parsed = parseScenario(text, file);
      if (!parsed.ok) {
        out.checks.push({ name: 'validate', ok: false, detail: parsed.errors.map(formatIssue).join('\n') });
        return finish(EXIT.FAILED);
      }
      out.checks.push({ name: 'validate', ok: true, detail: `${file} is a valid scenario` });
      const plan = compileScenario(parsed.spec, { seed: parsed.spec.scenario.seed ?? 0 });
      out.checks.push({ name: 'compile', ok: true, detail: `${plan.vms.length} VM(s), ${plan.faults.length} fault injection(s)` });
      out.window = o.window ?? plan.charter?.window ?? null;
      out.sha256 = experimentSha256(text, o.env, out.window);
      const loaded = await loadPolicyOrIssues(o.policy);
      if (!loaded.ok) {
        out.checks.push({ name: 'policy', ok: false, detail: loaded.errors.map(formatIssue).join('\n') });
        return finish(EXIT.FAILED);
      }
      try {
        const at = nextWindowOpeningOrNow(out.window, Date.now());
        out.decision = evaluatePolicy(loaded.policy, plan, o.env, actorOf(loaded.policy, o.as, o.group), at);
      } catch (e) {
        if (!(e instanceof PuduError)) throw e;
        out.checks.push({ name: 'policy', ok: false, detail: `${e.code}: ${e.message}` });
        return finish(EXIT.FAILED);
      }
      out.checks.push({ name: 'policy', ok: out.decision.outcome !== 'deny', detail: out.decision.outcome === 'allow' ? 'allowed, no approval needed' : out.decision.reasons.join('; ') });
      out.checks.push({ name: 'capacity', ok: true, detail: 'checked by the server when proposed' });
      finish(DECISION_EXIT[out.decision.outcome]);
    });

  exp
    .command('propose')
    .description('propose an experiment: pending, approved at once (no approval needed) or denied with the reasons')
    .argument('<file>', 'scenario YAML file')
    .requiredOption('--env <name>', 'environment to run in')
    .option('--window <window>', 'when it may run: ISO-8601 interval or weekly window (default: the charter\'s)')
    .option('--auto-start', 'the server starts it when its window opens, once approved')
    .option('--json', 'machine-readable output')
    .action(async (file: string, o: { env: string; window?: string; autoStart?: boolean; json?: boolean }) => {
      const yaml = await readFile(file, 'utf8');
      await withClient(async () => {
        const e = await clientFromEnv().call('proposeExperiment', { body: { yaml, file, environment: o.env, autoStart: !!o.autoStart, ...(o.window ? { window: o.window } : {}) } });
        if (o.json) printJson(e);
        else console.log(formatExperiment(e));
        return e.state === 'denied' ? EXIT.FAILED : e.state === 'pending' ? 4 : EXIT.OK;
      });
    });

  exp
    .command('update')
    .description('a new version of the definition (voids every approval of the old one)')
    .argument('<id>')
    .argument('<file>', 'scenario YAML file')
    .option('--window <window>', 'a new window')
    .option('--json', 'machine-readable output')
    .action(async (id: string, file: string, o: { window?: string; json?: boolean }) => {
      const yaml = await readFile(file, 'utf8');
      await withClient(async () => {
        const e = await clientFromEnv().call('updateExperiment', { params: { id }, body: { yaml, file, ...(o.window ? { window: o.window } : {}) } });
        if (o.json) printJson(e);
        else console.log(formatExperiment(e));
      });
    });

  exp
    .command('list')
    .description('experiments, newest first')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withClient(async () => {
        const { experiments } = await clientFromEnv().call('listExperiments', {});
        if (o.json) printJson(experiments);
        else console.log(formatTable(['ID', 'STATE', 'ENV', 'SCENARIO', 'PROPOSER', 'VERSION', 'WINDOW', 'RUN'], experiments.map((e) => [e.id, e.state, e.environment, e.scenarioId, e.proposer, String(e.version), e.window ?? '-', e.runId ?? '-'])));
      });
    });

  exp
    .command('show')
    .description('one experiment: charter, pre-checks, policy explanation, approvals, diff against the last approved version')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { json?: boolean }) => {
      await withClient(async () => {
        const e = await clientFromEnv().call('getExperiment', { params: { id } });
        if (o.json) printJson(e);
        else console.log(formatExperiment(e));
      });
    });

  for (const verb of ['approve', 'reject'] as const) {
    exp
      .command(verb)
      .description(verb === 'approve' ? 'approve the current version (never your own; pass --sha256 to pin the version you reviewed)' : 'reject with a comment')
      .argument('<id>')
      .option('--comment <text>', verb === 'approve' ? 'why you approve' : 'why you reject (required)')
      .option('--sha256 <hash>', 'the version you reviewed (default: the current one, as show prints it)')
      .option('--json', 'machine-readable output')
      .action(async (id: string, o: { comment?: string; sha256?: string; json?: boolean }) => {
        await withClient(async () => {
          const client = clientFromEnv();
          const sha256 = o.sha256 ?? (await client.call('getExperiment', { params: { id } })).sha256;
          const e = verb === 'approve'
            ? await client.call('approveExperiment', { params: { id }, body: { sha256, ...(o.comment ? { comment: o.comment } : {}) } })
            : await client.call('rejectExperiment', { params: { id }, body: { sha256, comment: o.comment ?? '' } });
          if (o.json) printJson(e);
          else console.log(formatExperiment(e));
        });
      });
  }

  exp
    .command('run')
    .description('run an approved experiment now (inside its window) as a run linked to it')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { json?: boolean }) => {
      await withClient(async () => {
        const out = await clientFromEnv().call('runExperiment', { params: { id } });
        if (o.json) printJson(out);
        else console.log(`experiment ${id} is running as run ${out.run.id} in ${out.run.environment}\ntrainee token (shown once): ${out.traineeToken}`);
      });
    });
}
