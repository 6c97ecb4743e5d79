// The run's timeline — faults, alerts, hints, objective changes, the end — drawn from its
// events: the seed of the post-mortem.
import { h, replaceChildren } from '../dom.ts';
import { formatClock, formatTimeOfDay } from '../format.ts';
import type { RunEvent, RunStatus } from '../model.ts';

/** A coarse kind for styling and filtering: fault, alert, hint, objective, run, other. */
export function eventKind(type: string): string {
  const t = type.toLowerCase();
  for (const k of ['fault', 'alert', 'hint', 'objective', 'metric']) if (t.includes(k)) return k;
  if (/run|state|resolved|aborted|expired|started|fleet|provision/.test(t)) return 'run';
  return 'other';
}

/** A one-line description of an event, from its type and data. */
export function describeEvent(e: RunEvent): string {
  const d = e.data;
  const parts: string[] = [];
  const pick = (k: string): string | null => (typeof d[k] === 'string' || typeof d[k] === 'number' ? String(d[k]) : null);
  const kind = eventKind(e.type);
  if (kind === 'hint') {
    const index = pick('index');
    if (index) parts.push(`hint ${index}`);
    const penalty = pick('penalty');
    if (penalty) parts.push(`(−${penalty} points)`);
  } else {
    const name = pick('name') ?? pick('faultId') ?? pick('objectiveId') ?? pick('id');
    if (name && !/^\d+$/.test(name) && name !== e.data.runId) parts.push(name);
  }
  const vm = pick('vm');
  if (vm) parts.push(`on ${vm}`);
  if (typeof d.passed === 'boolean') parts.push(d.passed ? '✓ passing' : '✗ failing');
  const text = pick('text') ?? pick('message') ?? pick('detail') ?? pick('why') ?? pick('error');
  if (text) parts.push(parts.length ? `— ${text}` : text);
  const state = pick('state');
  if (state && kind === 'run') parts.push(`→ ${state}`);
  return parts.join(' ') || e.summary;
}

function offsetOf(e: RunEvent, startedAt: string | null): number | null {
  if (e.offsetS !== null) return e.offsetS;
  if (!startedAt) return null;
  const t = Date.parse(e.at) - Date.parse(startedAt);
  return Number.isFinite(t) ? t / 1000 : null;
}

/** When the server has no events for a run, a timeline from what status knows. */
export function eventsFromStatus(s: RunStatus): RunEvent[] {
  const out: RunEvent[] = [];
  const at = s.startedAt ?? new Date().toISOString();
  let seq = 0;
  const add = (offsetS: number, type: string, data: Record<string, unknown>): void => {
    out.push({ seq: ++seq, at, offsetS, type, summary: '', data });
  };
  add(0, 'run.started', { name: s.title });
  for (const a of s.alerts.filter((x) => x.fired)) add(a.firedAtS, 'alert.fired', { name: a.name, message: a.message });
  s.hints.forEach((x, i) => add(NaN, 'hint.taken', { name: `hint ${i + 1}`, text: x.text }));
  add(s.elapsedS, `run.${s.state}`, { state: s.state });
  return out.map((e) => (Number.isNaN(e.offsetS) ? { ...e, offsetS: null } : e));
}

export interface TimelineView {
  el: HTMLElement;
  set(events: RunEvent[], startedAt: string | null): void;
}

export function createTimeline(): TimelineView {
  const list = h('ol', { class: 'timeline' });
  const el = h('section', { class: 'panel', 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, 'Timeline'), list);
  return {
    el,
    set(events, startedAt) {
      const rows = events
        .filter((e) => eventKind(e.type) !== 'metric')
        .map((e) => ({ e, offset: offsetOf(e, startedAt) }))
        .sort((a, b) => (a.offset ?? Infinity) - (b.offset ?? Infinity) || a.e.seq - b.e.seq);
      replaceChildren(list, rows.length ? rows.map(({ e, offset }) => h('li', { class: `event kind-${eventKind(e.type)}`, 'data-type': e.type },
        h('span', { class: 'event-at', title: formatTimeOfDay(e.at) }, offset === null ? formatTimeOfDay(e.at) : `+${formatClock(offset)}`),
        h('span', { class: 'event-type' }, e.type),
        h('span', { class: 'event-text' }, describeEvent(e)),
      )) : [h('li', { class: 'muted empty' }, 'No events recorded.')]);
    },
  };
}
