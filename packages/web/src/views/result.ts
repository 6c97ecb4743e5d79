// The result page: how the run ended, the score with its parts, and the timeline.
import { stateBadge } from '../components/badges.ts';
import { createTimeline } from '../components/timeline.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatClock, formatDuration, formatScore } from '../format.ts';
import { isFinished, type RunEvent, type RunStatus } from '../view-model.ts';
import { followEvents } from '../events.ts';
import { routeHash } from '../router.ts';
import type { AppContext, View } from '../view.ts';
import { renderPostMortem } from './post-mortem.ts';

function renderScore(s: RunStatus): HTMLElement {
  if (isFinished(s) && s.state !== 'resolved') return h('p', { class: 'muted' }, 'No score: the run did not resolve.');
  const p = s.scoreDetail;
  const perfect = s.scoring.perfectWindowMs > 0 ? formatDuration(s.scoring.perfectWindowMs) : null;
  return h('div', { class: 'score-card' },
    h('div', { class: 'score-big', 'data-testid': 'result-score' }, formatScore(p.score)),
    h('table', { class: 'score-parts' }, h('tbody', {},
      h('tr', {}, h('th', { scope: 'row' }, 'Base'), h('td', { class: 'num' }, formatScore(p.base))),
      h('tr', {}, h('th', { scope: 'row' }, `Time penalty${perfect ? ` (after the ${perfect} perfect window)` : ''}`), h('td', { class: 'num' }, `−${formatScore(p.timePenalty)}`)),
      h('tr', {}, h('th', { scope: 'row' }, `Hints (${s.hintsUsed})`), h('td', { class: 'num' }, `−${formatScore(p.hintPenalty)}`)),
      h('tr', { class: 'total' }, h('th', { scope: 'row' }, isFinished(s) ? 'Score' : 'Score if resolved now'), h('td', { class: 'num' }, formatScore(p.score))),
    )));
}

export function renderResult(ctx: AppContext, runId: string): View {
  const summary = h('section', { class: 'panel result-summary', 'aria-labelledby': 'result-title' }, h('h1', { id: 'result-title' }, 'Loading result…'));
  const objectives = h('section', { class: 'panel', 'aria-labelledby': 'result-objectives' }, h('h2', { id: 'result-objectives' }, 'Objectives'));
  const timeline = createTimeline();
  const events: RunEvent[] = [];
  let status: RunStatus | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const drawTimeline = (): void => {
    timer = null;
    if (!status) return;
    timeline.set(events, status.startedAt);
  };
  const schedule = (): void => {
    if (!timer) timer = setTimeout(drawTimeline, 100);
  };

  ctx.client.getRun(runId).then((s) => {
    status = s;
    const done = isFinished(s);
    replaceChildren(summary,
      h('h1', { id: 'result-title' }, s.title, ' ', stateBadge(s.state)),
      h('p', {}, done
        ? `${s.state === 'resolved' ? 'Resolved' : 'Ended'} after ${formatClock(s.elapsedMs)}${s.timeLimitMs ? ` (limit ${formatClock(s.timeLimitMs)})` : ''}, ${s.hintsUsed} hint${s.hintsUsed === 1 ? '' : 's'} taken.`
        : 'This run is still live. ', done ? null : h('a', { href: routeHash({ name: 'room', runId, readOnly: false }) }, 'Back to the incident room')),
      renderScore(s));
    replaceChildren(objectives, h('h2', { id: 'result-objectives' }, 'Objectives'),
      h('ul', { class: 'objectives' }, s.objectives.map((o) => h('li', { class: o.passing ? 'objective pass' : 'objective fail' },
        h('span', { class: o.passing ? 'mark pass' : 'mark fail', 'aria-label': o.passing ? 'passed' : 'not passed', role: 'img' }, o.passing ? '✓' : '✗'), ' ', o.description))));
    schedule();
  }, (e: unknown) => replaceChildren(summary, h('h1', { id: 'result-title' }, 'Result unavailable'), h('p', { class: 'form-error' }, e instanceof Error ? e.message : String(e))));

  const follower = followEvents(ctx.client, runId, (e) => {
    if (!events.some((x) => x.seq === e.seq)) events.push(e);
    schedule();
  });

  const postMortem = renderPostMortem(ctx, runId);
  const el = h('main', { class: 'result', id: 'main', tabindex: '-1', 'data-run': runId },
    h('div', { class: 'two-col' }, h('div', {}, summary, objectives), timeline.el), postMortem.el);
  return {
    el,
    dispose() {
      postMortem.dispose();
      follower.stop();
      if (timer) clearTimeout(timer);
    },
  };
}
