/**
 * `puduc scenario run --wait --junit FILE`: the ended run as JUnit XML (written by
 * junit-report-builder), so any CI system shows it — one testcase for pre-flight, one per
 * objective (training) or steady-state check (experiment, from the verdict's evidence) and
 * one per guardrail that fired; failure messages carry the values and times seen.
 */
import builder from 'junit-report-builder';
import type { RunEvent, RunStatus } from '@pudu/schema';
import { EXIT } from '../output.ts';

/** Pre-flight refused the run (nothing was applied): CI tells it from a failed experiment. */
export const EXIT_PREFLIGHT_FAILED = 6;
/** A guardrail, an abort_when condition, a ramp's on_breach: abort or halt-all stopped it. */
export const EXIT_GUARDRAIL = 5;

const byGuardrail = (r: RunStatus): boolean =>
  r.state === 'halted' || (r.state === 'aborted' && /^(guardrail |abort_when |ramp )/.test(r.error ?? ''));

/**
 * Exit code of an ended run (documented in `puduc --help`): 0 resolved / hypothesis held,
 * 1 refuted or unresolved, 5 stopped by a guardrail or halt-all, 6 pre-flight failed.
 */
export function exitCodeOfRun(r: RunStatus): number {
  if (r.state === 'preflight-failed') return EXIT_PREFLIGHT_FAILED;
  if (byGuardrail(r)) return EXIT_GUARDRAIL;
  return r.state === 'resolved' && (r.verdict === null || r.verdict.outcome === 'held') ? EXIT.OK : EXIT.FAILED;
}

const secs = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/** The JUnit XML of an ended run and its events. */
export function junitOf(r: RunStatus, events: readonly RunEvent[]): string {
  const b = builder.newBuilder();
  const suite = b.testSuite().name(`pudu.${r.scenarioId}`)
    .property('run', r.id).property('mode', r.mode).property('state', r.state).property('seed', String(r.seed))
    .time(r.elapsedMs / 1000);
  if (r.verdict) suite.property('verdict', r.verdict.outcome);
  const cls = `pudu.${r.scenarioId}`;

  const pre = suite.testCase().className(cls).name('pre-flight');
  if (r.state === 'preflight-failed') pre.failure(r.error ?? 'pre-flight failed', 'preflight');

  if (r.mode === 'experiment') {
    const evidence = r.verdict?.evidence ?? [];
    for (const e of evidence.filter((x) => x.passPct !== null || x.passing)) {
      const c = suite.testCase().className(cls).name(`steady_state ${e.check}`);
      if (!e.passing) c.failure(`${e.passPct ?? '?'} % of samples passed, judged at ${secs(e.atMs)} on the run's clock; ${e.detail}`, 'refuted');
    }
    if (r.verdict && r.verdict.outcome !== 'held' && r.verdict.outcome !== 'refuted') {
      suite.testCase().className(cls).name('verdict').failure(`${r.verdict.outcome}: ${r.verdict.reason}`, r.verdict.outcome);
    }
  } else if (r.state !== 'preflight-failed') {
    for (const o of r.objectives) {
      const c = suite.testCase().className(cls).name(`objective ${o.id}`);
      if (r.state !== 'resolved') c.failure(`${r.state}${r.error ? ` (${r.error})` : ''}; last check ${o.checkedAt ?? 'never'}: ${o.detail}`, r.state);
    }
  }

  const breaches = events.filter((e) => e.kind === 'guardrail.breached');
  for (const e of breaches) {
    const d = e.data as { guardrail?: string; detail?: string; action?: string };
    suite.testCase().className(cls).name(`guardrail ${d.guardrail ?? '?'}`).failure(`${d.detail ?? ''} at ${e.at} (${d.action ?? 'abort'})`, 'guardrail');
  }
  if (breaches.length === 0) {
    const g = suite.testCase().className(cls).name('guardrails');
    if (byGuardrail(r)) g.failure(r.error ?? r.state, 'guardrail');
  }
  return b.build();
}
