// The instructor view: every live run with its progress, score and hints, and a way to
// drop into any trainee's terminals read-only.
import { passMark, stateBadge } from '../components/badges.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatClock, formatScore } from '../format.ts';
import { isFinished, scoreIfResolvedAt, type RunStatus, type RunSummary } from '../view-model.ts';
import { startPolling } from '../poller.ts';
import { routeHash } from '../router.ts';
import type { AppContext, View } from '../view.ts';

const REFRESH_MS = 2000;

function renderRunCard(run: RunSummary, detail: RunStatus | null): HTMLElement {
  const total = Math.max(1, run.objectivesTotal);
  const score = detail && detail.state === 'running' ? scoreIfResolvedAt(detail, detail.elapsedMs).score : run.score;
  return h('article', { class: 'watch-card', 'data-run': run.id },
    h('header', {}, h('h3', {}, run.title), stateBadge(run.state)),
    h('p', { class: 'muted small' }, h('code', {}, run.id)),
    h('div', { class: 'watch-stats' },
      h('span', {}, h('span', { class: 'stat-label' }, 'Elapsed '), formatClock(run.elapsedMs), detail ? ` / ${formatClock(detail.timeLimitMs)}` : ''),
      h('span', {}, h('span', { class: 'stat-label' }, 'Score '), score === null ? '—' : formatScore(score)),
      h('span', {}, h('span', { class: 'stat-label' }, 'Hints '), String(run.hintsUsed))),
    h('label', { class: 'progress-label' }, `Objectives ${run.objectivesPassing}/${run.objectivesTotal}`,
      h('progress', { max: total, value: run.objectivesPassing })),
    detail ? h('ul', { class: 'objectives compact' }, detail.objectives.map((o) => h('li', { class: 'objective', 'data-passed': String(o.passing) }, passMark(o.passing), h('span', {}, o.description, o.detail ? h('span', { class: 'muted small objective-detail' }, o.detail) : null)))) : null,
    detail ? h('p', { class: 'muted small' }, `${detail.alerts.filter((a) => a.fired).length} of ${detail.alerts.length} alerts fired · VMs ${detail.vms.map((v) => v.name).join(', ') || '—'}`) : null,
    detail && detail.hints.length ? h('details', {}, h('summary', {}, `Hints taken (${detail.hints.length})`),
      h('ol', {}, detail.hints.map((x) => h('li', {}, x)))) : null,
    h('div', { class: 'card-foot' },
      h('a', { class: 'button primary drop-in', href: routeHash({ name: 'room', runId: run.id, readOnly: true }) }, 'Drop in (read-only)'),
      h('a', { class: 'button', href: routeHash({ name: 'result', runId: run.id }) }, 'Timeline')),
  );
}

export function renderInstructor(ctx: AppContext): View {
  const grid = h('div', { class: 'watch-grid', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading runs…'));
  const poller = startPolling(async () => {
    const runs = (await ctx.client.listRuns()).filter((r) => !isFinished(r));
    if (runs.length === 0) {
      replaceChildren(grid, h('p', { class: 'muted empty' }, 'No live runs. Start one from the dashboard.'));
      return;
    }
    const details = await Promise.all(runs.map((r) => ctx.client.getRun(r.id).catch(() => null)));
    replaceChildren(grid, runs.map((r, i) => renderRunCard(details[i] ?? r, details[i] ?? null)));
  }, REFRESH_MS, (e) => ctx.notify(e instanceof Error ? e.message : String(e), 'error'));
  const gamedays = h('ul', { class: 'gameday-list' });
  void ctx.client.listGameDays().then((list) => replaceChildren(gamedays, list.length
    ? list.map((g) => h('li', {}, h('a', { href: routeHash({ name: 'gameday', id: g.id }) }, g.name), ` — ${g.scenario}, ${g.trainees} trainees, ${g.state}`))
    : [h('li', { class: 'muted' }, 'None yet: puduc gameday create NAME --scenario monolith/disk-full --csv trainees.csv')]), () => undefined);
  const el = h('main', { class: 'instructor', id: 'main', tabindex: '-1' },
    h('section', { class: 'panel', 'aria-labelledby': 'instructor-title' }, h('h1', { id: 'instructor-title' }, 'Live runs'), grid),
    h('section', { class: 'panel', 'aria-labelledby': 'gamedays-title' }, h('h2', { id: 'gamedays-title' }, 'Game days'), gamedays));
  return { el, dispose: () => poller.stop() };
}
