/**
 * `puduc policy explain SCENARIO --env ENV [--as ROLE]` and `puduc policy validate FILE`:
 * which rule decides each fault and why — offline against a policy file (or the built-in
 * default), or with `--remote` from the server's policy. Exit 0 allowed, 1 denied, 4 needs
 * approval, so a script or CI job can branch on it.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import {
  actorOf, compileScenario, DEFAULT_POLICY_FILE, DEFAULT_POLICY_YAML, evaluatePolicy, EXPLAIN_SEED, formatIssue, loadPolicyFile,
  loadScenarioFile, parsePolicy, type PolicyDecision, type ScenarioIssue,
} from '@pudu/engine';
import { PuduError, type PolicySpec } from '@pudu/schema';
import { EXIT, formatTable, printJson } from '../output.ts';
import { clientFromEnv, withClient } from './remote.ts';

/** Exit codes of explain and check: 0 allowed, 1 denied (or invalid input), 4 needs approval. */
export const DECISION_EXIT = { allow: EXIT.OK, deny: EXIT.FAILED, approval: 4 } as const;

export function parseAt(v: string): number {
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || !Number.isFinite(ms)) throw new InvalidArgumentError(`--at must be an ISO-8601 time like 2026-12-01T10:00:00Z, got ${v}`);
  return ms;
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** The policy file (or the built-in default), or every located problem in it. */
export async function loadPolicyOrIssues(file: string | undefined): Promise<{ ok: true; policy: PolicySpec; file: string } | { ok: false; errors: ScenarioIssue[] }> {
  const r = file ? await loadPolicyFile(file) : parsePolicy(DEFAULT_POLICY_YAML, DEFAULT_POLICY_FILE);
  return r.ok ? { ok: true, policy: r.policy, file: file ?? DEFAULT_POLICY_FILE } : r;
}

/** The explanation as a reviewer reads it: one verdict line, one row per fault, and with --verbose every rule considered. */
export function formatDecision(d: PolicyDecision, what: string, verbose = false): string {
  const verdict = d.outcome === 'allow' ? 'ALLOWED'
    : d.outcome === 'deny' ? 'DENIED'
      : `NEEDS APPROVAL (${d.requirements.map((r) => `${r.count} from ${r.from.join(' or ')}`).join(' and ')})`;
  const lines = [`${what} in ${d.environment} as ${d.as.join('/')} at ${d.at}: ${verdict}`];
  if (d.faults.length) {
    lines.push('', formatTable(['FAULT', 'TYPE', 'VMS', 'OUTCOME', 'RULE', 'WHY'], d.faults.map((f) => [f.fault, f.type, f.vms.join(','), f.outcome, f.rule ?? '(none)', f.reason])));
  } else lines.push('', 'no faults: nothing to decide');
  const env = d.reasons.filter((r) => !r.startsWith('fault '));
  if (env.length) lines.push('', ...env.map((r) => `environment: ${r}`));
  if (verbose) {
    for (const f of d.faults) {
      lines.push('', `rules considered for ${f.fault}:`);
      for (const c of f.considered) lines.push(`  ${c.matched ? '✓' : '✗'} ${c.rule} (${c.specificity} condition(s)): ${c.why}`);
    }
  }
  return lines.join('\n');
}

function printIssues(errors: ScenarioIssue[], json: boolean): void {
  if (json) printJson({ valid: false, errors });
  else for (const e of errors) console.error(formatIssue(e));
}

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('the blast-radius policy: validate it, explain its decisions');

  policy
    .command('validate')
    .description('check a policy file offline; every problem as FILE:LINE:COL: path: message')
    .argument('<file>', 'policy YAML file')
    .option('--json', 'machine-readable output')
    .action(async (file: string, o: { json?: boolean }) => {
      const r = await loadPolicyFile(file);
      if (!r.ok) {
        printIssues(r.errors, !!o.json);
        process.exitCode = EXIT.FAILED;
        return;
      }
      if (o.json) printJson({ valid: true, file, environments: r.policy.environments.map((e) => e.name), rules: r.policy.rules.length });
      else console.log(`${file}: OK (${r.policy.environments.length} environment(s), ${r.policy.rules.length} rule(s))`);
    });

  policy
    .command('show-default')
    .description('print the policy a server uses without --policy')
    .action(() => void process.stdout.write(DEFAULT_POLICY_YAML));

  policy
    .command('explain')
    .description('which rule decides each fault of a scenario, and why (exit 0 allowed, 1 denied, 4 needs approval)')
    .argument('<scenario>', 'scenario YAML file')
    .requiredOption('--env <name>', 'environment the scenario would run in')
    .option('--as <role>', 'role to decide for (default: engineer offline, your token\'s role with --remote)')
    .option('--group <name>', 'a group of the person (repeatable)', collect, [] as string[])
    .option('--policy <file>', 'policy file (default: the built-in default policy)')
    .option('--remote', 'ask the server (PUDU_SERVER) about its policy instead')
    .option('--at <time>', 'decide as at this ISO-8601 time (rules with when: windows)', parseAt)
    .option('--verbose', 'list every rule considered and why it did or did not match')
    .option('--json', 'machine-readable output (the same document offline and from the server)')
    .action(async (file: string, o: { env: string; as?: string; group: string[]; policy?: string; remote?: boolean; at?: number; verbose?: boolean; json?: boolean }) => {
      if (o.remote && o.policy) throw new InvalidArgumentError('--remote uses the server\'s policy; drop --policy');
      const scenario = await loadScenarioFile(file);
      if (!scenario.ok) {
        printIssues(scenario.errors, !!o.json);
        process.exitCode = EXIT.FAILED;
        return;
      }
      const report = (d: PolicyDecision): number => {
        if (o.json) printJson(d);
        else console.log(formatDecision(d, file, o.verbose));
        return DECISION_EXIT[d.outcome];
      };
      if (o.remote) {
        const yaml = await readFile(file, 'utf8');
        await withClient(async () => report(await clientFromEnv().call('explainPolicy', { body: {
          yaml, file, environment: o.env, groups: o.group, ...(o.as ? { as: o.as } : {}), ...(o.at === undefined ? {} : { at: new Date(o.at).toISOString() }),
        } })));
        return;
      }
      const loaded = await loadPolicyOrIssues(o.policy);
      if (!loaded.ok) {
        printIssues(loaded.errors, !!o.json);
        process.exitCode = EXIT.FAILED;
        return;
      }
      try {
        const plan = compileScenario(scenario.spec, { seed: scenario.spec.scenario.seed ?? EXPLAIN_SEED });
        process.exitCode = report(evaluatePolicy(loaded.policy, plan, o.env, actorOf(loaded.policy, o.as ?? 'engineer', o.group), o.at ?? Date.now()));
      } catch (e) {
        if (!(e instanceof PuduError)) throw e;
        console.error(`puduc: ${e.code}: ${e.message}`);
        process.exitCode = EXIT.FAILED;
      }
    });
}
