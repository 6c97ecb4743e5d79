// The dashboard: the scenario library, live and finished runs, and fleets. Instructors
// and admins start scenarios here and hand trainees their link.
import { PuduApiError } from '@pudu/client';
import { formatIssue } from '@pudu/schema';
import { difficultyBadge, stateBadge } from '../components/badges.ts';
import { renderShareToken } from '../components/share-token.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatClock, formatScore } from '../format.ts';
import { isFinished, type Fleet, type LibraryEntry, type RunSummary } from '../view-model.ts';
import { startPolling } from '../poller.ts';
import { navigate, routeHash } from '../router.ts';
import { canInstruct } from '../view.ts';
import type { AppContext, View } from '../view.ts';

const REFRESH_MS = 3000;

function runLink(run: RunSummary): string {
  return isFinished(run)
    ? routeHash({ name: 'result', runId: run.id })
    : routeHash({ name: 'room', runId: run.id, readOnly: false });
}

function renderRunsTable(runs: RunSummary[], empty: string): HTMLElement {
  if (runs.length === 0) return h('p', { class: 'muted empty' }, empty);
  return h('table', { class: 'runs' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Scenario'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Elapsed'),
      h('th', { scope: 'col' }, 'Difficulty'), h('th', { scope: 'col', class: 'num' }, 'Score'))),
    h('tbody', {}, runs.map((r) => h('tr', { 'data-run': r.id },
      h('td', {}, h('a', { href: runLink(r) }, r.title), h('div', { class: 'muted small' }, r.id)),
      h('td', {}, stateBadge(r.state)),
      h('td', { class: 'num' }, formatClock(r.elapsedMs)),
      h('td', {}, r.difficulty ? difficultyBadge(r.difficulty) : '—'),
      h('td', { class: 'num' }, r.score === null ? '—' : formatScore(r.score)),
    ))),
  );
}

function renderFleets(fleets: Fleet[]): HTMLElement {
  if (fleets.length === 0) return h('p', { class: 'muted empty' }, 'No fleets. Starting a scenario creates one.');
  return h('ul', { class: 'fleets' }, fleets.map((f) => h('li', {},
    h('strong', {}, f.id), ' ', h('span', { class: 'muted' }, f.state),
    h('div', { class: 'fleet-vms' }, f.vms.map((vm) => h('span', { class: 'chip', title: vm.guestIp }, `${vm.name} · ${vm.guestIp}`))),
  )));
}

/** A scenario the server refused, as `file:line:col path: message` lines (all of them). */
function renderProblems(e: unknown): HTMLElement {
  const issues = e instanceof PuduApiError ? e.problem?.errors ?? [] : [];
  return h('div', { class: 'problems', role: 'alert' },
    h('p', { class: 'form-error' }, e instanceof Error ? (issues.length ? e.message.split('\n')[0] : e.message) : String(e)),
    issues.length ? h('ul', { class: 'problem-list' }, issues.map((i) => h('li', {}, h('code', {}, formatIssue(i))))) : null);
}

export function renderDashboard(ctx: AppContext): View {
  const instruct = canInstruct(ctx.identity);
  const library = h('div', { class: 'library', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading the library…'));
  const live = h('div', {}, h('p', { class: 'muted' }, 'Loading runs…'));
  const finished = h('div', {});
  const fleets = h('div', {});
  const started = h('div', { class: 'started', 'aria-live': 'polite' });

  const startScenario = (entry: Pick<LibraryEntry, 'name' | 'title'>, button: HTMLButtonElement, source?: { yaml: string; file: string }): void => {
    button.disabled = true;
    const label = button.textContent;
    button.textContent = 'Starting…';
    replaceChildren(fileErrors);
    ctx.client.runScenario(source ?? { name: entry.name }).then(
      ({ run, traineeToken }) => {
        button.disabled = false;
        button.textContent = label;
        ctx.notify(`Started ${entry.title} (run ${run.id})`, 'success');
        replaceChildren(started, h('section', { class: 'panel started-panel', 'aria-labelledby': 'started-title' },
          h('h2', { id: 'started-title' }, `Started: ${entry.title}`),
          h('p', {}, 'Run ', h('code', {}, run.id), ' is provisioning. ',
            h('a', { href: routeHash({ name: 'room', runId: run.id, readOnly: false }), class: 'open-room' }, 'Open the incident room'), ' · ',
            h('a', { href: routeHash({ name: 'room', runId: run.id, readOnly: true }) }, 'Watch read-only')),
          renderShareToken(ctx.client, run.id, { token: traineeToken, canIssue: ctx.identity.role === 'admin' }),
        ));
        poller.kick();
      },
      (e: unknown) => {
        button.disabled = false;
        button.textContent = label;
        if (source) replaceChildren(fileErrors, renderProblems(e));
        ctx.notify(e instanceof Error ? `Could not start ${entry.title}: ${e.message.split('\n')[0]}` : String(e), 'error');
      },
    );
  };

  const fileInput = h('input', { type: 'file', accept: '.yaml,.yml,text/yaml', 'aria-label': 'Scenario file', class: 'file-input' });
  const fileButton = h('button', { type: 'button', class: 'run-file' }, 'Run this file');
  const fileErrors = h('div', { 'aria-live': 'polite' });
  fileButton.addEventListener('click', () => {
    const file = fileInput.files?.[0];
    if (!file) {
      fileInput.click();
      return;
    }
    file.text().then((yaml) => startScenario({ name: file.name, title: file.name }, fileButton, { yaml, file: file.name }));
  });
  const runFile = instruct ? h('div', { class: 'run-file-row' }, h('span', { class: 'muted' }, 'Or run your own scenario file:'), fileInput, fileButton, fileErrors) : null;

  const renderLibrary = (entries: LibraryEntry[]): void => {
    library.removeAttribute('aria-busy');
    if (entries.length === 0) {
      replaceChildren(library, h('p', { class: 'muted empty' }, 'The server has no scenarios in its library.'));
      return;
    }
    replaceChildren(library, entries.map((entry) => {
      const start = h('button', { type: 'button', class: 'primary start', 'data-scenario': entry.name, 'aria-label': `Start ${entry.title}` }, 'Start');
      start.addEventListener('click', () => startScenario(entry, start));
      return h('article', { class: 'scenario-card', 'data-scenario': entry.name },
        h('h3', {}, entry.title),
        h('div', { class: 'card-meta' }, difficultyBadge(entry.difficulty),
          h('span', { class: 'badge arch' }, entry.architecture || '—'),
          h('span', { class: 'muted small' }, `${entry.vms} VM${entry.vms === 1 ? '' : 's'}`)),
        h('p', { class: 'card-desc' }, entry.description.split('\n')[0] ?? ''),
        h('div', { class: 'tags' }, entry.tags.map((t) => h('span', { class: 'tag' }, t))),
        h('div', { class: 'card-foot' }, h('code', { class: 'muted small' }, entry.name), instruct ? start : null),
      );
    }));
  };

  ctx.client.listLibrary().then(renderLibrary, (e: unknown) => {
    replaceChildren(library, h('p', { class: 'form-error' }, `Library unavailable: ${e instanceof Error ? e.message : String(e)}`));
  });

  const poller = startPolling(async () => {
    const runs = await ctx.client.listRuns();
    const liveRuns = runs.filter((r) => !isFinished(r));
    const doneRuns = runs.filter((r) => isFinished(r));
    replaceChildren(live, renderRunsTable(liveRuns, 'No live runs.'));
    replaceChildren(finished, renderRunsTable(doneRuns, 'No finished runs yet.'));
    if (instruct) {
      const list = await ctx.client.listFleets().catch((e: unknown) => {
        if (e instanceof PuduApiError && e.status === 403) return [];
        throw e;
      });
      replaceChildren(fleets, renderFleets(list));
    }
  }, REFRESH_MS, (e) => ctx.notify(e instanceof Error ? e.message : String(e), 'error'));

  if (ctx.identity.role === 'trainee' && ctx.identity.runId) {
    navigate({ name: 'room', runId: ctx.identity.runId, readOnly: false });
  }

  const el = h('main', { class: 'dashboard', id: 'main', tabindex: '-1' },
    h('h1', { class: 'visually-hidden' }, 'Dashboard'),
    started,
    h('section', { class: 'panel', 'aria-labelledby': 'live-title' }, h('h2', { id: 'live-title' }, 'Live runs'), live),
    h('section', { class: 'panel', 'aria-labelledby': 'library-title' }, h('h2', { id: 'library-title' }, 'Scenario library'), library, runFile),
    h('div', { class: 'two-col' },
      h('section', { class: 'panel', 'aria-labelledby': 'finished-title' }, h('h2', { id: 'finished-title' }, 'Finished runs'), finished),
      instruct ? h('section', { class: 'panel', 'aria-labelledby': 'fleets-title' }, h('h2', { id: 'fleets-title' }, 'Fleets'), fleets) : null),
  );
  return { el, dispose: () => poller.stop() };
}
