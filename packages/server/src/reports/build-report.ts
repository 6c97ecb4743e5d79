/**
 * The post-mortem of a run as data: what was really broken and when, what the responder saw
 * (alerts) and did (commands, hints), how the objectives moved, the metric history, the
 * times to detect / mitigate / resolve, the score, and the notes. Worded blamelessly: it
 * describes the system and the exercise, never judges the person.
 */
import { TERMINAL_RUN_STATES, type Report, type RunEvent, type RunStatus } from '@pudu/schema';
import type { ServerContext } from '../context.ts';
import { commandsOfRun } from '../recordings/run-commands.ts';
import { runHistory } from '../history/run-history.ts';

const VERDICTS: Record<string, string> = {
  resolved: 'The incident was resolved: every objective passed while the faults were still in place.',
  aborted: 'The exercise was stopped before the objectives were met; the timeline shows how far the investigation got.',
  expired: 'The time limit was reached before the objectives were met; the timeline shows how far the investigation got.',
  failed: 'The exercise could not run as designed (see the error); nothing here reflects on the responder.',
  running: 'The exercise is still running: this is an interim report.',
  provisioning: 'The exercise has not started yet.',
};

/** Events that speak to whether the score can be trusted (from the agents and the runner). */
export const isIntegrity = (kind: string): boolean => /^(integrity|tamper|agent\.tamper)/.test(kind) || kind === 'fault.lost';

function firstAt(events: RunEvent[], startMs: number, pred: (e: RunEvent) => boolean): number | null {
  const e = events.find(pred);
  return e ? Date.parse(e.at) - startMs : null;
}

function describeEvent(e: RunEvent): { who: 'system' | 'responder' | 'instructor'; text: string } | null {
  const d = e.data as Record<string, unknown>;
  const s = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  switch (e.kind) {
    case 'run.started': return { who: 'system', text: 'The exercise started.' };
    case 'fault.applied': return { who: 'system', text: `Fault ${s(d.id)} (${s(d.type)}) was injected on ${s(d.vm)}.` };
    case 'fault.reverted': return { who: 'system', text: `Fault ${s(d.id)} was reverted (${s(d.why)}).` };
    case 'alert.fired': return { who: 'system', text: `Alert ${s(d.name)} fired (${s(d.severity)}): ${s(d.message)}` };
    case 'objective.failing': return { who: 'system', text: `Objective ${s(d.id)} was failing: ${s(d.detail)}` };
    case 'objective.passed': return { who: 'system', text: `Objective ${s(d.id)} passed: ${s(d.detail)}` };
    case 'hint.taken': return { who: 'responder', text: `Hint ${Number(d.index) + 1} was requested.` };
    case 'terminal.opened': return d.role === 'trainee' ? { who: 'responder', text: `A terminal was opened on ${s(d.vm)}.` } : { who: 'instructor', text: `${s(d.by)} opened a terminal on ${s(d.vm)}.` };
    case 'terminal.watched': return { who: 'instructor', text: `${s(d.by)} started watching the terminal on ${s(d.vm)}.` };
    case 'terminal.keyboard-taken': return { who: 'instructor', text: `${s(d.by)} took the keyboard on ${s(d.vm)}.` };
    case 'terminal.keyboard-released': return { who: 'instructor', text: `${s(d.by)} gave the keyboard back on ${s(d.vm)}.` };
    case 'run.resolved': return { who: 'system', text: 'All objectives passed: the incident was resolved.' };
    case 'run.aborted': return { who: 'system', text: `The exercise was stopped${d.error ? ` (${s(d.error)})` : ''}.` };
    case 'run.expired': return { who: 'system', text: 'The time limit was reached.' };
    case 'run.failed': return { who: 'system', text: `The exercise could not continue: ${s(d.error)}` };
    default: return null;
  }
}

/** Builds the report; the trainee sees faults too, once the run is over (that is the debrief). */
export async function buildReport(ctx: ServerContext, runId: string, staff: boolean): Promise<Report> {
  const run: RunStatus = await ctx.runs.status(runId);
  const finished = TERMINAL_RUN_STATES.includes(run.state);
  const reveal = staff || finished;
  const startMs = run.startedAt ? Date.parse(run.startedAt) : Date.parse(run.createdAt);
  const events = await ctx.store.listEvents(runId, 0);
  const { commands, caveats } = await commandsOfRun(ctx.recordings.store, runId, run.startedAt ? startMs : null);
  const history = await runHistory(ctx, runId, staff);
  const at = (e: RunEvent): number => Date.parse(e.at) - startMs;

  const timeline: Report['timeline'] = [];
  for (const e of events) {
    if (!reveal && e.kind.startsWith('fault.')) continue;
    const d = describeEvent(e);
    if (d) timeline.push({ tMs: at(e), who: d.who, kind: e.kind, text: d.text });
  }
  for (const c of commands) {
    if (c.runMs === null) continue;
    timeline.push({ tMs: c.runMs, who: 'responder', kind: c.context === 'prompt' ? 'command' : 'program-input', text: `${c.host ?? c.vm}: ${c.command}` });
  }
  timeline.sort((a, b) => a.tMs - b.tMs);

  // Detect: the responder first looked (a terminal or a command); mitigate: the first
  // objective back to passing after it had failed; resolve: all passing (the run's own time).
  const firstFail = firstAt(events, startMs, (e) => e.kind === 'objective.failing');
  const firstCommand = commands.find((c) => c.runMs !== null && c.runMs >= 0)?.runMs ?? null;
  const firstTerminal = firstAt(events, startMs, (e) => e.kind === 'trainee.terminal' || (e.kind === 'terminal.opened' && e.data.role === 'trainee'));
  const detect = [firstTerminal, firstCommand].filter((x): x is number => x !== null && x >= 0);
  const mitigate = firstFail === null ? null : firstAt(events, startMs, (e) => e.kind === 'objective.passed' && at(e) > firstFail);

  const faultTimes = (id: string, vm: string, kind: string): number | null => firstAt(events, startMs, (e) => e.kind === kind && e.data.id === id && e.data.vm === vm);
  return {
    generatedAt: new Date().toISOString(),
    run: {
      id: run.id, scenarioId: run.scenarioId, title: run.title, difficulty: run.difficulty, description: run.description, symptoms: run.symptoms,
      state: run.state, seed: run.seed, startedAt: run.startedAt, endedAt: run.endedAt, elapsedMs: run.elapsedMs, timeLimitMs: run.timeLimitMs, error: run.error,
    },
    verdict: VERDICTS[run.state] ?? `The exercise ended: ${run.state}.`,
    score: run.state === 'resolved' || run.state === 'running' ? run.scoreDetail : null,
    timings: { detectMs: detect.length ? Math.min(...detect) : null, mitigateMs: mitigate, resolveMs: run.resolvedAtMs },
    faults: reveal ? run.faults.map((f) => ({ id: f.id, type: f.type, vm: f.vm, appliedMs: faultTimes(f.id, f.vm, 'fault.applied'), revertedMs: faultTimes(f.id, f.vm, 'fault.reverted'), state: f.state })) : [],
    alerts: run.alerts.filter((a) => a.fired || reveal).map((a) => ({ name: a.name, severity: a.severity, message: a.message, firedMs: firstAt(events, startMs, (e) => e.kind === 'alert.fired' && e.data.name === a.name) })),
    objectives: run.objectives.map((o) => ({ id: o.id, description: o.description, passing: o.passing, detail: o.detail })),
    timeline,
    commands,
    caveats,
    integrity: events.filter((e) => isIntegrity(e.kind)).map((e) => ({ tMs: at(e), kind: e.kind, text: JSON.stringify(e.data) })),
    history,
    recordings: await ctx.recordings.store.list(runId),
    notes: await ctx.notes.get(runId),
  };
}
