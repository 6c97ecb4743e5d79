// The browser entry: signs in, routes between views, and keeps one app shell (header,
// skip link, notification region).
import '@xterm/xterm/css/xterm.css';
import './styles.css';
import { PuduApiError, type PuduClient } from '@pudu/client';
import { h, replaceChildren } from './dom.ts';
import { parseRoute, routeHash } from './router.ts';
import type { Route } from './router.ts';
import { clearToken, clientFor, loadToken, saveToken } from './session.ts';
import type { TokenScope } from './session.ts';
import { canInstruct } from './view.ts';
import type { AppContext, View } from './view.ts';
import type { WhoAmI } from './view-model.ts';
import { renderDashboard } from './views/dashboard.ts';
import { renderIncidentRoom } from './views/incident-room.ts';
import { renderInstructor } from './views/instructor.ts';
import { renderGameDayBoard, renderGameDayJoin } from './views/gameday.ts';
import { renderResult } from './views/result.ts';
import { renderSignIn } from './views/sign-in.ts';
import { renderApprovals, renderExperiment } from './views/approvals.ts';

const NOTICE_MS = 4500;

const root = document.getElementById('app') ?? document.body;
const toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
const nav = h('nav', { class: 'topnav', 'aria-label': 'Main' });
const who = h('span', { class: 'who muted' });
const signOut = h('button', { type: 'button', class: 'link' }, 'Sign out');
const outlet = h('div', { class: 'outlet' });
const shell = [
  h('a', { class: 'skip', href: '#main', onclick: (ev: Event) => { ev.preventDefault(); document.getElementById('main')?.focus(); } }, 'Skip to content'),
  h('header', { class: 'topbar' }, h('a', { class: 'brand', href: '#/' }, 'Pudu'), nav, h('div', { class: 'topbar-right' }, who, signOut)),
  outlet,
  toasts,
];
replaceChildren(root, shell);

let client: PuduClient | null = null;
let identity: WhoAmI | null = null;
let current: View | null = null;

function notify(message: string, kind: 'info' | 'error' | 'success' = 'info'): void {
  const last = toasts.lastElementChild;
  if (last && last.textContent === message) return;
  const toast = h('div', { class: `toast toast-${kind}` }, message);
  toasts.append(toast);
  setTimeout(() => toast.remove(), NOTICE_MS);
  while (toasts.children.length > 3) toasts.firstElementChild?.remove();
}

function show(view: View): void {
  current?.dispose();
  current = view;
  replaceChildren(outlet, view.el);
}

function renderNav(): void {
  const links: [string, string][] = identity && canInstruct(identity)
    ? [['Dashboard', '#/'], ['Instructor', '#/instructor'], ['Approvals', '#/approvals']]
    : identity && identity.role !== 'trainee' ? [['Dashboard', '#/'], ['Approvals', '#/approvals']]
    : identity?.runId ? [['My incident', routeHash({ name: 'room', runId: identity.runId, readOnly: false })]] : [['Dashboard', '#/']];
  const here = location.hash || '#/';
  replaceChildren(nav, links.map(([label, href]) => h('a', { href, 'aria-current': here === href ? 'page' : null }, label)));
  who.textContent = identity ? `${identity.name} · ${identity.role}` : '';
  signOut.hidden = !identity;
}

function showSignIn(error: string | null): void {
  identity = null;
  client = null;
  renderNav();
  show(renderSignIn({
    error,
    onSignedIn(signedIn, id) {
      if (signedIn.token) saveToken(signedIn.token);
      signedIn.onUnauthorized = expireSession;
      client = signedIn;
      identity = id;
      const next = parseRoute(location.hash);
      if (next.name === 'signin') location.hash = next.next ?? (id.runId ? routeHash({ name: 'room', runId: id.runId, readOnly: false }) : '#/');
      else route();
    },
  }));
}

/** Sends the user back to sign-in when the server stops accepting their token. */
function expireSession(): void {
  clearToken();
  current?.dispose();
  current = null;
  showSignIn('The server no longer accepts this token (401): it was revoked or has expired. Sign in again.');
}

/** Signs in with `token`; `scope` says where to keep it (null: it is already stored). */
async function signInWith(token: string, scope: TokenScope | null): Promise<boolean> {
  try {
    const candidate = clientFor(token);
    identity = await candidate.whoami();
    candidate.onUnauthorized = expireSession;
    client = candidate;
    if (scope) saveToken(token, scope);
    return true;
  } catch (e) {
    if (e instanceof PuduApiError && (e.status === 401 || e.status === 403)) clearToken();
    showSignIn(e instanceof PuduApiError && e.status === 401 ? 'Your session has expired or the token was revoked.' : e instanceof Error ? e.message : String(e));
    return false;
  }
}

function viewFor(r: Route, ctx: AppContext): View {
  switch (r.name) {
    case 'room': return renderIncidentRoom(ctx, r.runId, r.readOnly);
    case 'result': return renderResult(ctx, r.runId);
    case 'instructor': return renderInstructor(ctx);
    case 'approvals': return renderApprovals(ctx);
    case 'experiment': return renderExperiment(ctx, r.id);
    case 'gameday': return renderGameDayBoard(ctx, r.id);
    case 'notfound': return { el: h('main', { id: 'main', class: 'panel' }, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the dashboard'))), dispose: () => undefined };
    default: return renderDashboard(ctx);
  }
}

async function route(): Promise<void> {
  const r = parseRoute(location.hash);
  if (r.name === 'join') {
    // The token arrives in the fragment; take it out of the address bar and history.
    history.replaceState(null, '', `${location.pathname}${routeHash({ name: 'room', runId: r.runId, readOnly: false })}`);
    if (r.token && !(await signInWith(r.token, 'tab'))) return;
    void route();
    return;
  }
  if (r.name === 'gameday-join') {
    // The invite code is the credential here: out of the address bar, then kept only in this page.
    history.replaceState(null, '', `${location.pathname}${routeHash({ name: 'gameday-join', id: r.id, code: '' })}`);
    renderNav();
    show(renderGameDayJoin(clientFor(''), r.id, r.code, (token, runId) => {
      void signInWith(token, 'tab').then((ok) => {
        if (ok) location.hash = routeHash({ name: 'room', runId, readOnly: false });
      });
    }));
    return;
  }
  if (!client || !identity) {
    const saved = loadToken();
    if (!saved) return showSignIn(null);
    if (!(await signInWith(saved, null))) return;
  }
  if (r.name === 'signin') {
    location.hash = r.next ?? '#/';
    return;
  }
  renderNav();
  if (!client || !identity) return;
  show(viewFor(r, { client, identity, notify }));
}

signOut.addEventListener('click', () => {
  clearToken();
  current?.dispose();
  current = null;
  location.hash = '#/signin';
  showSignIn(null);
});

window.addEventListener('hashchange', () => void route());
void route();
