// The run's timeline — faults, alerts, hints, objective changes, the end — drawn from its
// events: the seed of the post-mortem.
import { h, replaceChildren } from '../dom.ts';
import { formatClock, formatTimeOfDay } from '../format.ts';
import { eventOffsetMs, type RunEvent } from '../view-model.ts';

/**
 * A coarse kind for styling: the event kind's first word (fault, alert, hint, objective,
 * integrity — staff only: the agent restarted, a fault was lost and injected again —, run, fleet…).
 */
export function eventKind(kind: string): string {
  const family = kind.split('.')[0] ?? '';
  return ['fault', 'alert', 'hint', 'objective', 'integrity'].includes(family) ? family : family === 'run' || family === 'fleet' ? 'run' : 'other';
}

/** A one-line description of an event, from its type and data. */
export function describeEvent(e: RunEvent): string {
  const d = e.data;
  const parts: string[] = [];
  const pick = (k: string): string | null => (typeof d[k] === 'string' || typeof d[k] === 'number' ? String(d[k]) : null);
  const kind = eventKind(e.kind);
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
  return parts.join(' ');
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
        .map((e) => ({ e, offset: eventOffsetMs(e, startedAt) }))
        .sort((a, b) => (a.offset ?? Infinity) - (b.offset ?? Infinity) || a.e.seq - b.e.seq);
      replaceChildren(list, rows.length ? rows.map(({ e, offset }) => h('li', { class: `event kind-${eventKind(e.kind)}`, 'data-type': e.kind },
        h('span', { class: 'event-at', title: formatTimeOfDay(e.at) }, offset === null ? formatTimeOfDay(e.at) : `+${formatClock(offset)}`),
        h('span', { class: 'event-type' }, e.kind),
        h('span', { class: 'event-text' }, describeEvent(e)),
      )) : [h('li', { class: 'muted empty' }, 'No events recorded.')]);
    },
  };
}
