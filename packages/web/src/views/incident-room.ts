// The incident room: narrative, clock and time limit, alerts at their fired_at, symptoms,
// live objectives, hints with their penalty, the score as it would be now, a terminal per
// VM and per-VM metrics. Status is polled every second and re-read at once on every
// streamed event, so a fix shows within a second.
import { parseRunEvent } from '@pudu/schema';
import { stateBadge } from '../components/badges.ts';
import { createVmCharts } from '../components/charts.ts';
import { createHintPanel } from '../components/hint-panel.ts';
import { renderShareToken } from '../components/share-token.ts';
import { createAlertsPanel, createObjectivesPanel, renderSymptoms } from '../components/signals.ts';
import { createTerminalTabs } from '../components/terminal-tabs.ts';
import { createTimeline } from '../components/timeline.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatClock, formatDuration, formatScore } from '../format.ts';
import { isFinished, scoreIfResolvedAt, type RunEvent, type RunStatus, type Score } from '../view-model.ts';
import { startPolling } from '../poller.ts';
import { routeHash } from '../router.ts';
import { followEvents } from '../events.ts';
import { canInstruct } from '../view.ts';
import type { AppContext, View } from '../view.ts';

const STATUS_POLL_MS = 1000;
const CLOCK_TICK_MS = 250;
const METRICS_POLL_MS = 2000;
/** Remaining times at which the room warns once that the limit is near. */
const TIME_WARNINGS_MS = [300_000, 60_000];
/** A warning is said only when its mark is crossed live, within this window. */
const TIME_WARNING_WINDOW_MS = 5000;

export function renderIncidentRoom(ctx: AppContext, runId: string, readOnly: boolean): View {
  const instruct = canInstruct(ctx.identity);
  const title = h('h1', { class: 'room-title' }, 'Loading incident…');
  const badge = h('span', {});
  const clock = h('span', { class: 'clock', 'aria-label': 'elapsed time' }, '0:00');
  const limit = h('span', { class: 'muted clock-limit' });
  const progress = h('progress', { class: 'time-progress', max: 1, value: 0, 'aria-label': 'time used' });
  const score = h('strong', { class: 'score-now', 'data-testid': 'score-now' }, '—');
  const scoreParts = h('span', { class: 'muted small score-parts' });
  const banner = h('div', { class: 'banner', hidden: true, role: 'status' });
  const narrative = h('div', { class: 'narrative' });
  const symptomsSlot = h('div', {});
  const alerts = createAlertsPanel();
  const objectives = createObjectivesPanel(instruct || ctx.identity.role === 'observer');
  // Observers may only watch: their terminals are read-only even in the trainee's room.
  const terminals = createTerminalTabs(ctx.client, readOnly || ctx.identity.role === 'observer', null, canInstruct(ctx.identity));
  const charts = createVmCharts();
  const hints = createHintPanel(ctx.client, runId, readOnly || !(['trainee', 'instructor', 'admin'] as string[]).includes(ctx.identity.role), (text, penalty) => {
    ctx.notify(`−${formatScore(penalty)} points. Hint: ${text}`, 'info');
    poller.kick();
  });
  const abort = h('button', { type: 'button', class: 'danger abort', hidden: !instruct }, 'Abort run');
  abort.addEventListener('click', () => {
    if (!confirm('Abort this run? Every fault is reverted and the fleet is destroyed.')) return;
    abort.disabled = true;
    ctx.client.abortRun(runId).then(() => poller.kick(), (e: unknown) => {
      abort.disabled = false;
      ctx.notify(e instanceof Error ? e.message : String(e), 'error');
    });
  });
  const sharePanel = h('details', { class: 'panel share-panel', hidden: ctx.identity.role !== 'admin' || readOnly },
    h('summary', {}, 'Hand a trainee this run'), renderShareToken(ctx.client, runId, { canIssue: true }));

  let status: RunStatus | null = null;
  let statusAt = performance.now();
  let narrativeKey = '';
  const lastPassed = new Map<string, boolean>();
  const warned = new Set<number>();
  /** The fleet's latest progress line while it boots (from fleet.* events). */
  let provisioningNote = '';

  const elapsedNow = (): number => {
    if (!status) return 0;
    if (status.state !== 'running') return status.elapsedMs;
    return status.elapsedMs + (performance.now() - statusAt);
  };

  /** Between polls the score moves with the clock (the engine's formula); otherwise the server's. */
  const currentScore = (): Score | null => {
    if (!status) return null;
    return status.state === 'running' ? scoreIfResolvedAt(status, elapsedNow()) : status.scoreDetail;
  };

  const tick = (): void => {
    if (!status) return;
    const elapsed = elapsedNow();
    clock.textContent = formatClock(elapsed);
    if (status.timeLimitMs) {
      progress.value = Math.min(1, elapsed / status.timeLimitMs);
      progress.classList.toggle('late', elapsed / status.timeLimitMs > 0.8);
      const left = status.timeLimitMs - elapsed;
      for (const mark of TIME_WARNINGS_MS) {
        // Only a crossing seen live warns: opening the room late does not replay old warnings.
        if (status.state === 'running' && left <= mark && left > mark - TIME_WARNING_WINDOW_MS && !warned.has(mark) && status.timeLimitMs > mark * 2) {
          warned.add(mark);
          ctx.notify(`${formatDuration(mark)} left before the time limit`, 'error');
        }
      }
    }
    const s = currentScore();
    score.textContent = s ? formatScore(s.score) : '—';
    scoreParts.textContent = s ? `base ${formatScore(s.base)} − time ${formatScore(s.timePenalty)} − hints ${formatScore(s.hintPenalty)}` : '';
    alerts.update(status.alerts, elapsed);
  };

  const render = (next: RunStatus): void => {
    status = next;
    statusAt = performance.now();
    title.textContent = next.title;
    replaceChildren(badge, stateBadge(next.state));
    limit.textContent = next.timeLimitMs ? `/ ${formatClock(next.timeLimitMs)} limit` : '';
    progress.hidden = !next.timeLimitMs;
    const key = next.description + JSON.stringify(next.symptoms);
    if (key !== narrativeKey) {
      narrativeKey = key;
      // YAML block text wraps at ~80 columns: reflow lines, keep blank-line paragraphs.
      replaceChildren(narrative, next.description.trim().split(/\n\s*\n/).map((p) => h('p', {}, p.replace(/\s*\n\s*/g, ' '))));
      replaceChildren(symptomsSlot, renderSymptoms(next.symptoms));
    }
    objectives.update(next.objectives);
    // Say it when an objective flips, not only with a mark: the trainee's eyes are on the terminal.
    for (const o of next.objectives) {
      const before = lastPassed.get(o.id);
      if (before !== undefined && before !== o.passing) ctx.notify(`${o.passing ? '✓' : '✗'} ${o.description}`, o.passing ? 'success' : 'error');
      lastPassed.set(o.id, o.passing);
    }
    const live = next.state === 'running' || next.state === 'preflight' || next.state === 'provisioning' || next.state === 'queued';
    hints.update(next.hints, next.hintsTotal, next.scoring.hintPenalty, currentScore()?.score ?? null, live);
    abort.hidden = !instruct || !live;
    terminals.setVms(next.vms.map((v) => ({ name: v.name, index: v.index })));
    if (isFinished(next)) {
      if (!next.keepFleet) terminals.end(`session ended: the run is ${next.state} and its fleet is gone`);
      const parts = next.state === 'resolved' ? next.scoreDetail : null;
      const word = next.state === 'resolved' ? 'Resolved' : next.state === 'aborted' ? 'Aborted' : next.state === 'expired' ? 'Time is up' : next.state === 'preflight-failed' ? 'Pre-flight failed' : 'Failed';
      replaceChildren(banner,
        h('strong', { class: 'banner-word' }, word),
        next.state === 'resolved' ? ` in ${formatDuration(next.elapsedMs)}` : '',
        parts ? h('span', {}, ' — score ', h('strong', { class: 'final-score', 'data-testid': 'final-score' }, formatScore(parts.score))) : null,
        ' ', h('a', { href: routeHash({ name: 'result', runId }), class: 'button' }, 'See the result and timeline'));
      banner.className = `banner banner-${next.state}`;
      banner.hidden = false;
    } else if (next.state === 'queued') {
      replaceChildren(banner, h('strong', {}, 'Waiting for capacity'), ' — the host is running as many VMs as it may; the fleet boots as soon as another run ends, and the clock starts when it is ready.');
      banner.className = 'banner banner-provisioning';
      banner.hidden = false;
    } else if (next.state === 'preflight') {
      replaceChildren(banner, h('strong', {}, 'Pre-flight'), ' — checking the agents, the faults\' plans and that the system is healthy before any fault; the clock starts after.');
      banner.className = 'banner banner-provisioning';
      banner.hidden = false;
    } else if (next.state === 'provisioning') {
      replaceChildren(banner, h('strong', {}, 'Provisioning'), ' — the fleet is booting; the clock starts when it is ready.',
        provisioningNote ? h('span', { class: 'muted small banner-note' }, provisioningNote) : null);
      banner.className = 'banner banner-provisioning';
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
    tick();
  };

  const poller = startPolling(async () => render(await ctx.client.getRun(runId)), STATUS_POLL_MS,
    (e) => ctx.notify(e instanceof Error ? e.message : String(e), 'error'));
  const clockTimer = setInterval(tick, CLOCK_TICK_MS);
  const metricsPoller = startPolling(async () => {
    if (!status || isFinished(status)) return;
    for (const { vm, metrics } of (await ctx.client.getRunMetrics(runId)).vms) if (metrics) charts.push(vm, metrics);
  }, METRICS_POLL_MS, () => undefined);
  // Watching instructors also get the run's live timeline (faults, hints, objective changes).
  const timeline = readOnly ? createTimeline() : null;
  const seen: RunEvent[] = [];
  let timelineTimer: ReturnType<typeof setTimeout> | null = null;
  const events = followEvents(ctx.client, runId, (ev) => {
    const known = parseRunEvent(ev);
    if (known?.kind === 'fleet.progress') provisioningNote = known.data.message;
    if (timeline && !seen.some((x) => x.seq === ev.seq)) {
      seen.push(ev);
      timelineTimer ??= setTimeout(() => {
        timelineTimer = null;
        timeline.set(seen, status?.startedAt ?? null);
      }, 150);
    }
    poller.kick();
  });

  const el = h('main', { class: `room${readOnly ? ' read-only' : ''}`, id: 'main', tabindex: '-1', 'data-run': runId },
    h('header', { class: 'room-header' },
      h('div', { class: 'room-heading' }, title, badge, readOnly ? h('span', { class: 'badge readonly' }, 'watching read-only') : null),
      h('div', { class: 'room-stats' },
        h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Elapsed'), h('span', {}, clock, ' ', limit), progress),
        h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Score if resolved now'), score, scoreParts),
        abort)),
    banner,
    h('div', { class: 'room-grid' },
      h('div', { class: 'room-side' },
        h('section', { class: 'panel', 'aria-labelledby': 'narrative-title' }, h('h2', { id: 'narrative-title' }, 'What is happening'), narrative),
        alerts.el, symptomsSlot, objectives.el, hints.el, sharePanel),
      h('div', { class: 'room-main' }, terminals.el, charts.el, timeline?.el)),
  );
  return {
    el,
    dispose() {
      poller.stop();
      metricsPoller.stop();
      clearInterval(clockTimer);
      if (timelineTimer) clearTimeout(timelineTimer);
      events.stop();
      terminals.dispose();
      charts.dispose();
    },
  };
}
