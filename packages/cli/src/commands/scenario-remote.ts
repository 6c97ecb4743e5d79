/**
 * `puduc scenario run FILE [--wait] | status ID | hint ID | answer ID TEXT | done ID | abort ID | list`: the server
 * side of a scenario. The YAML is read here and sent; the server never reads a client path.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { PuduClient } from '@pudu/client';
import { isTerminalRunState, type RunEvent, type RunStatus } from '@pudu/schema';
import { EXIT, formatTable, printJson } from '../output.ts';
import { clientFromEnv, formatClock, withClient } from './remote.ts';
import { exitCodeOfRun, junitOf } from './scenario-junit.ts';

const POLL_MS = 1000;

/** The status screen: the narrative and symptoms, clock, alerts, objectives, hints, score so far, the review. */
export function formatStatus(r: RunStatus): string {
  const d = r.scoreDetail;
  const parts = [`base ${d.base}`, `time ${d.timePenalty}`, `hints ${d.hintPenalty}`, ...(d.actionPenalty ? [`actions ${d.actionPenalty}`] : []), ...(d.rootCausePenalty ? [`root cause ${d.rootCausePenalty}`] : [])];
  const lines = [
    `${r.title} (${r.scenarioId}) — run ${r.id}`,
    `state    ${r.state === 'resolved' ? `resolved — score ${d.score}` : r.state}${r.error ? ` (${r.error})` : ''}`,
    `elapsed  ${formatClock(r.elapsedMs)} of ${formatClock(r.timeLimitMs)}`,
    `score    ${r.state === 'resolved' ? '' : 'so far '}${d.score} (${parts.join(' − ')})`,
    `hints    ${r.hintsUsed}/${r.hintsTotal} used`,
  ];
  if (r.verdict) {
    lines.push(`verdict  ${r.verdict.outcome}: ${r.verdict.reason}`);
    for (const e of r.verdict.evidence) lines.push(`         ${e.passing ? '✓' : '✗'} ${e.check}${e.passPct === null ? '' : ` ${e.passPct} % of samples`} at ${Math.round(e.atMs / 1000)} s — ${e.detail}`);
  }
  if (r.vms.length) lines.push(`VMs      ${r.vms.map((v) => `${v.name} (terminal ${v.index}, ${v.guestIp})`).join(', ')}`);
  if (r.description.trim()) lines.push('', ...r.description.trim().split('\n'));
  if (r.symptoms.length) lines.push('', 'Reported', ...r.symptoms.map((x) => `  - ${x}`));
  const fired = r.alerts.filter((a) => a.fired);
  lines.push('', `Alerts (${fired.length}/${r.alerts.length} fired)`);
  for (const a of r.alerts) {
    const when = a.firing ? 'FIRING' : a.fired ? 'resolved' : a.firedAtMs === null ? 'ok' : `at ${formatClock(a.firedAtMs)}`;
    lines.push(`  ${a.firing ? '!' : ' '} ${a.severity.padEnd(8)} ${a.name}: ${a.message} (${when})`);
  }
  if (r.traffic) {
    const t = r.traffic;
    lines.push('', `Traffic (last ${t.windowS} s): ${t.rps} req/s, ${Math.round(t.errorRatio * 1000) / 10} % errors, p50 ${t.p50Ms ?? '-'} ms, p95 ${t.p95Ms ?? '-'} ms, p99 ${t.p99Ms ?? '-'} ms`);
    for (const x of t.routes) lines.push(`  ${x.route.padEnd(22)} ${String(x.requests).padStart(5)} req  ${String(Math.round(x.errorRatio * 1000) / 10).padStart(5)} % err  p95 ${x.p95Ms ?? '-'} ms`);
  }
  lines.push('', 'Objectives');
  for (const o of r.objectives) {
    const mark = o.state === 'waiting' ? '…' : o.passing ? '✓' : '✗';
    lines.push(`  ${mark} ${o.id}: ${o.description}${o.forMs ? ` (for ${o.forMs / 1000} s)` : ''}`, `      ${o.detail}`);
    if (o.staffDetail) lines.push(`      staff: ${o.staffDetail}`);
  }
  if (r.penalties.length) {
    lines.push('', 'Penalties');
    for (const p of r.penalties) lines.push(`  − ${p.points} ${p.description}${p.fail ? ' (fails the run)' : ''}`);
  }
  if (r.rootCause && r.state === 'resolved') {
    const rc = r.rootCause;
    lines.push('', `Root cause: ${rc.question}`);
    if (rc.choices) rc.choices.forEach((c, i) => lines.push(`  ${i}. ${c}`));
    lines.push(rc.answered ? `  answered: ${rc.correct ? 'right' : `wrong (−${rc.points})`}` : `  answer: puduc scenario answer ${r.id} <${rc.choices ? 'number' : 'text'}> (a wrong or missing answer costs ${rc.points})`);
  }
  if (r.reviewUntil) lines.push('', `Review: the fleet stays until ${r.reviewUntil}; end it with puduc scenario done ${r.id}`);
  if (r.hints.length) {
    lines.push('', 'Hints taken');
    r.hints.forEach((h, i) => lines.push(`  ${i + 1}. ${h}`));
  }
  return lines.join('\n');
}

function formatEvent(e: RunEvent): string {
  const d = e.data;
  const time = e.at.slice(11, 19);
  const detail = Object.entries(d).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k}=${String(v)}`).join(' ');
  return `${time}  ${e.kind.padEnd(18)} ${detail}`;
}

/** Follows the run until it ends: SSE while it lasts, polling through a server restart. */
async function waitForEnd(client: PuduClient, id: string, json: boolean): Promise<RunStatus> {
  let after = 0;
  for (;;) {
    const r = await client.getRun(id).catch(() => null);
    if (r && isTerminalRunState(r.state)) return r;
    if (r) {
      const ac = new AbortController();
      // Stop streaming as soon as the run ends; also when the stream silently stalls.
      const watch = setInterval(() => {
        void client.getRun(id).then((s) => isTerminalRunState(s.state) && ac.abort(), () => undefined);
      }, 5 * POLL_MS);
      try {
        after = await client.streamRunEvents(id, (e) => {
          if (!json) console.log(formatEvent(e));
          if (e.kind.startsWith('run.') && isTerminalRunState(e.kind.slice(4))) setTimeout(() => ac.abort(), 200);
        }, { after, signal: ac.signal });
      } catch {
        /* the server went away: poll until it is back */
      } finally {
        clearInterval(watch);
      }
    }
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
}

function seedArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

export function registerScenarioRemote(scenario: Command): void {
  scenario
    .command('run <file>')
    .description('start a scenario on the server (FILE is read here; --library names one on the server)')
    .option('--wait', 'follow the run until it ends; exit 0 resolved (or hypothesis held), 1 unresolved or refuted, 5 stopped by a guardrail or halt-all, 6 pre-flight failed')
    .option('--junit <file>', 'with --wait: write the result as JUnit XML (pre-flight, each objective or steady-state check, each guardrail)')
    .option('--library', 'treat <file> as a library name (monolith/disk-full)')
    .option('--seed <n>', 'seed for random choices (replay a run)', seedArg)
    .option('--keep-fleet', 'keep the VMs after the run ends')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { wait?: boolean; junit?: string; library?: boolean; seed?: number; keepFleet?: boolean; json?: boolean }) =>
      withClient(async () => {
        const client = clientFromEnv();
        let yaml: string | undefined;
        if (!o.library) {
          yaml = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
            throw new Error(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file (use --library for a scenario on the server)' : e.message}`);
          });
        }
        if (o.junit && !o.wait) throw new InvalidArgumentError('--junit needs --wait (the report is written when the run ends)');
        const { run, traineeToken } = await client.runScenario({
          ...(o.library ? { name: file } : { yaml, file }),
          ...(o.seed === undefined ? {} : { seed: o.seed }),
          keepFleet: o.keepFleet ?? false,
        });
        if (!o.wait) {
          if (o.json) return printJson({ run, traineeToken });
          console.log(`run ${run.id} started: ${run.title} (${run.difficulty}), ${run.state}`);
          console.log(`trainee token (shown once): ${traineeToken}`);
          console.log(`web UI: ${client.baseUrl}/#/runs/${run.id}`);
          console.log(`status: puduc scenario status ${run.id}   hint: puduc scenario hint ${run.id}   abort: puduc scenario abort ${run.id}`);
          return EXIT.OK;
        }
        if (!o.json) {
          console.log(`run ${run.id} started: ${run.title}; trainee token: ${traineeToken}`);
          console.log(`following events until the run ends (Ctrl-C stops following, not the run)`);
        }
        const end = await waitForEnd(client, run.id, !!o.json);
        if (o.junit) {
          const file = o.junit;
          await writeFile(file, junitOf(end, await client.listRunEvents(run.id))).catch((e: NodeJS.ErrnoException) => {
            throw new Error(`cannot write ${file}: ${e.message}`);
          });
        }
        if (o.json) printJson({ run: end, traineeToken });
        else console.log(`\n${formatStatus(end)}`);
        return exitCodeOfRun(end);
      }),
    );
  scenario
    .command('status <id>')
    .description('live status: elapsed, alerts, objectives ✓/✗, hints, score so far')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) =>
      withClient(async () => {
        const r = await clientFromEnv().getRun(id);
        if (o.json) printJson(r);
        else console.log(formatStatus(r));
      }),
    );
  scenario
    .command('hint <id>')
    .description('reveal the next hint (costs points, charged once)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) =>
      withClient(async () => {
        const h = await clientFromEnv().takeHint(id);
        if (o.json) return printJson(h);
        console.log(`hint ${h.index + 1}/${h.hintsTotal} (−${h.hintPenalty} points): ${h.text}`);
      }),
    );
  scenario
    .command('answer <id> <answer...>')
    .description('answer the root-cause question after the fix (a choice\'s number or free text; once)')
    .option('--json', 'print JSON')
    .action(async (id: string, words: string[], o: { json?: boolean }) =>
      withClient(async () => {
        const text = words.join(' ').trim();
        const v = await clientFromEnv().answerRootCause(id, /^\d+$/.test(text) ? Number(text) : text);
        if (o.json) return printJson(v);
        console.log(v.correct ? 'right: no points off' : `wrong: −${v.points} points`);
      }),
    );
  scenario
    .command('done <id>')
    .description('end the review after the fix: the fleet is destroyed now')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) =>
      withClient(async () => {
        const r = await clientFromEnv().endReview(id);
        if (o.json) return printJson(r);
        console.log(`run ${r.id} ${r.state} — score ${r.scoreDetail.score}; review over`);
      }),
    );
  scenario
    .command('abort <id>')
    .description('abort a run: revert every fault and destroy its fleet')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) =>
      withClient(async () => {
        const r = await clientFromEnv().abortRun(id);
        if (o.json) return printJson(r);
        console.log(`run ${r.id} ${r.state}; faults reverted: ${r.faults.filter((f) => f.state === 'reverted').length}/${r.faults.length}`);
      }),
    );
  scenario
    .command('list')
    .description('list scenario runs on the server (--library: the server\'s scenario library)')
    .option('--library', 'list the library instead of runs')
    .option('--json', 'print JSON')
    .action(async (o: { library?: boolean; json?: boolean }) =>
      withClient(async () => {
        const client = clientFromEnv();
        if (o.library) {
          const lib = await client.listLibrary();
          if (o.json) return printJson(lib);
          console.log(formatTable(['NAME', 'DIFFICULTY', 'VMS', 'TITLE'], lib.map((e) => [e.name, e.difficulty, String(e.vms), e.title])));
          return;
        }
        const runs = await client.listRuns();
        if (o.json) return printJson(runs);
        console.log(runs.length
          ? formatTable(['ID', 'STATE', 'ELAPSED', 'SCORE', 'OBJECTIVES', 'HINTS', 'SCENARIO'], runs.map((r) => [
            r.id, r.state, formatClock(r.elapsedMs), r.score === null ? '-' : String(r.score),
            `${r.objectivesPassing}/${r.objectivesTotal}`, `${r.hintsUsed}/${r.hintsTotal}`, r.scenarioId,
          ]))
          : 'no runs');
      }),
    );
}
