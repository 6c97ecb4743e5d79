// Game days: the instructor's live board (every trainee's state, objectives, hints,
// elapsed, integrity flags; click → their screen), the leaderboard with its CSV export, and
// the trainee's side of an invite link (queued until there is room, then their incident).
import type { PuduClient } from '@pudu/client';
import { h, replaceChildren } from '../dom.ts';
import { formatClock, formatScore } from '../format.ts';
import { startPolling } from '../poller.ts';
import { routeHash } from '../router.ts';
import type { AppContext, View } from '../view.ts';

const REFRESH_MS = 2000;
const JOIN_RETRY_MS = 5000;
type Board = Awaited<ReturnType<PuduClient['getGameDay']>>;
type Leaderboard = Awaited<ReturnType<PuduClient['getLeaderboard']>>;

function boardTable(g: Board): HTMLElement {
  return h('table', { class: 'board', 'data-testid': 'gameday-board' },
    h('thead', {}, h('tr', {}, ['Trainee', 'State', 'Elapsed', 'Objectives', 'Hints', 'Score', 'Integrity', ''].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, g.trainees.map((t) => h('tr', { 'data-trainee': t.name, 'data-state': t.runState ?? t.state },
      h('td', {}, t.name),
      h('td', {}, t.state === 'queued' ? `queued #${t.queuePosition ?? '?'}` : t.runState ?? t.state),
      h('td', { class: 'num' }, t.elapsedMs === null ? '—' : formatClock(t.elapsedMs)),
      h('td', { class: 'num' }, t.objectivesTotal === null ? '—' : `${t.objectivesPassing}/${t.objectivesTotal}`),
      h('td', { class: 'num' }, t.hintsUsed === null ? '—' : String(t.hintsUsed)),
      h('td', { class: 'num' }, t.score === null ? '—' : formatScore(t.score)),
      h('td', {}, t.integrityFlags ? h('span', { class: 'badge warn', title: 'integrity events: check before trusting the score' }, `⚑ ${t.integrityFlags}`) : ''),
      h('td', {}, t.runId ? [
        t.sessions.length ? h('a', { class: 'button small', href: routeHash({ name: 'room', runId: t.runId, readOnly: true }) }, 'Their screen') : null,
        h('a', { class: 'button small', href: routeHash({ name: 'result', runId: t.runId }) }, 'Result'),
      ] : null)))));
}

function leaderboardTable(l: Leaderboard): HTMLElement {
  return h('table', { class: 'leaderboard', 'data-testid': 'leaderboard' },
    h('thead', {}, h('tr', {}, ['#', 'Trainee', 'Score', 'Time', 'Hints', 'State'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, l.rows.map((r) => h('tr', { 'data-rank': r.rank === null ? '' : String(r.rank) },
      h('td', { class: 'num' }, r.rank === null ? '—' : String(r.rank)), h('td', {}, r.name),
      h('td', { class: 'num' }, r.score === null ? '—' : formatScore(r.score)), h('td', { class: 'num' }, r.resolvedAtMs === null ? '—' : formatClock(r.resolvedAtMs)),
      h('td', { class: 'num' }, r.hintsUsed === null ? '—' : String(r.hintsUsed)), h('td', {}, r.state)))));
}

export function renderGameDayBoard(ctx: AppContext, id: string): View {
  const head = h('div', {}, h('h1', { id: 'gameday-title' }, 'Game day'));
  const board = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const leaders = h('div', {});
  const start = h('button', { type: 'button', class: 'primary', hidden: true }, 'Start everyone');
  const csv = h('button', { type: 'button', class: 'button' }, 'Export CSV');
  start.addEventListener('click', () => {
    start.disabled = true;
    ctx.client.startGameDay(id).then(() => ctx.notify('Game day started', 'success'), (e: unknown) => ctx.notify(e instanceof Error ? e.message : String(e), 'error'));
  });
  csv.addEventListener('click', () => void ctx.client.getLeaderboardCsv(id).then((text) => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    h('a', { href: url, download: `leaderboard-${id}.csv` }).click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }));
  const poller = startPolling(async () => {
    const [g, l] = await Promise.all([ctx.client.getGameDay(id), ctx.client.getLeaderboard(id)]);
    replaceChildren(head, h('h1', { id: 'gameday-title' }, g.name), h('p', { class: 'muted' }, `${g.scenario} · seed ${g.seed} · ${g.mode} · ${g.state}${g.startedAt ? ` · started ${g.startedAt.slice(11, 19)}` : ''}`));
    start.hidden = !(g.state === 'open' && g.mode === 'together' && (ctx.identity.role === 'admin' || ctx.identity.role === 'instructor'));
    replaceChildren(board, boardTable(g));
    replaceChildren(leaders, leaderboardTable(l));
  }, REFRESH_MS, (e) => ctx.notify(e instanceof Error ? e.message : String(e), 'error'));
  const el = h('main', { class: 'gameday', id: 'main', tabindex: '-1', 'data-gameday': id },
    h('section', { class: 'panel', 'aria-labelledby': 'gameday-title' }, head, start, board),
    h('section', { class: 'panel', 'aria-labelledby': 'leaderboard-title' }, h('h2', { id: 'leaderboard-title' }, 'Leaderboard'), h('p', { class: 'muted small' }, 'Resolved runs by score; ties by time, then hints.'), leaders, csv));
  return { el, dispose: () => poller.stop() };
}

/**
 * The trainee's invite: asks the server (no token yet) until their run exists, then hands
 * back the run's trainee token. Returns a view that says where they are in the queue.
 */
export function renderGameDayJoin(client: PuduClient, id: string, code: string, onToken: (token: string, runId: string) => void): View {
  const message = h('p', { role: 'status', 'aria-live': 'polite' }, 'Opening your invite…');
  let timer: ReturnType<typeof setTimeout> | null = null;
  const attempt = (): void => {
    client.joinGameDay(id, code).then((j) => {
      if (j.token && j.runId) return onToken(j.token, j.runId);
      message.textContent = j.state === 'queued'
        ? `The lab is full: you are number ${j.queuePosition ?? '?'} in the queue. This page starts your incident as soon as there is room.`
        : 'The game day has not started yet: this page opens your incident when the instructor starts it.';
      timer = setTimeout(attempt, JOIN_RETRY_MS);
    }, (e: unknown) => { message.textContent = e instanceof Error ? e.message : String(e); });
  };
  attempt();
  const el = h('main', { class: 'signin', id: 'main' }, h('div', { class: 'signin-card' }, h('h1', {}, 'Game day'), message,
    h('p', { class: 'muted small' }, 'Terminal sessions are recorded (what you type and what the screen shows) for the replay and the blameless post-mortem.')));
  return { el, dispose: () => { if (timer) clearTimeout(timer); } };
}
