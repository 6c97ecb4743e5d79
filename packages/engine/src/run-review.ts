/**
 * After the fix: the fleet stays for a review window (faults already reverted) so the trainee
 * can look at what happened, answer the root-cause question and end the review when done.
 */
import type { CompiledRootCause } from './compiled-scenario.ts';
import { publish, type Turn } from './run-turn.ts';

/** True while a resolved run keeps its fleet for review. */
export const reviewing = (t: Turn): boolean => t.s.state === 'resolved' && t.s.reviewUntilMs !== null && !t.s.tornDown;

/** Whether an answer is right: the choice's index (or its exact text), or free text matching an accepted answer. */
export function isRightAnswer(rc: CompiledRootCause, answer: number | string): boolean {
  if (typeof rc.answer === 'number') {
    if (typeof answer === 'number') return answer === rc.answer;
    const chosen = rc.choices?.[rc.answer];
    return chosen !== undefined && answer.trim().toLowerCase() === chosen.trim().toLowerCase();
  }
  const text = String(answer).trim();
  return text.length > 0 && rc.answer.some((re) => new RegExp(re, 'i').test(text));
}

/** The root-cause answer: once, at resolution (during the review). */
export function answerRootCause(t: Turn, answer: number | string): void {
  const { s, plan } = t;
  const rc = plan.compiled.rootCause;
  if (!rc) return void t.out.push({ kind: 'refuse', code: 'NOT_FOUND', message: `scenario ${plan.compiled.id} asks no root-cause question` });
  if (s.rootCause) return void t.out.push({ kind: 'refuse', code: 'CONFLICT', message: 'the root-cause question was already answered' });
  if (!reviewing(t)) {
    const when = s.state === 'running' || s.state === 'provisioning' ? 'is asked once the incident is resolved' : 'could be answered only during the review, which is over';
    return void t.out.push({ kind: 'refuse', code: 'RUN_NOT_ACTIVE', message: `the root-cause question ${when}` });
  }
  if (typeof answer === 'number' && (rc.choices === null || answer < 0 || answer >= rc.choices.length || !Number.isInteger(answer))) {
    return void t.out.push({ kind: 'refuse', code: 'BAD_REQUEST', message: rc.choices ? `choose 0–${rc.choices.length - 1}` : 'this question takes a free-text answer' });
  }
  const correct = isRightAnswer(rc, answer);
  s.rootCause = { answer, correct };
  publish(t, 'root-cause.answered', { correct, points: correct ? 0 : rc.points });
  t.out.push({ kind: 'answered', correct, points: correct ? 0 : rc.points });
}

/** Ends the review (asked for, its time is up, or the server restarted): the fleet may go. */
export function endReview(t: Turn, why: string): void {
  if (!reviewing(t)) {
    if (t.s.state !== 'resolved') t.out.push({ kind: 'refuse', code: 'RUN_NOT_ACTIVE', message: `run ${t.plan.runId} is ${t.s.state}: no review to end` });
    return;
  }
  t.s.reviewUntilMs = null;
  publish(t, 'review.ended', { why });
  t.destroy = true;
}
