// The run's timeline — faults, alerts, hints, objective changes, the end — drawn from its
// events: the seed of the post-mortem.
import { h, replaceChildren } from '../dom.ts';
import { formatClock, formatTimeOfDay } from '../format.ts';
import { parseRunEvent } from '@pudu/schema';
import { eventOffsetMs, type RunEvent } from '../view-model.ts';

/**
 * A coarse kind for styling: the event kind's first word (fault, alert, hint, objective,
 * integrity — staff only: the agent restarted, a fault was lost and injected again —, run, fleet…).
 */
export function eventKind(kind: string): string {
  const family = kind.split('.')[0] ?? '';
  return ['fault', 'alert', 'hint', 'objective', 'integrity'].includes(family) ? family : family === 'run' || family === 'fleet' ? 'run' : 'other';
}

/** A one-line description of an event, from its kind's data (schema/run-events.ts); empty for a kind this UI does not know. */
export function describeEvent(ev: RunEvent): string {
  const e = parseRunEvent(ev);
  if (!e) return '';
  const on = (vm: string): string => `on ${vm}`;
  switch (e.kind) {
    case 'hint.taken': return `hint ${e.data.index + 1} (−${e.data.penalty} points)`;
    case 'fault.applied': return `${e.data.id} ${on(e.data.vm)}`;
    case 'fault.reverted': case 'fault.lost': case 'fault.skipped': return `${e.data.id} ${on(e.data.vm)} — ${e.data.why}`;
    case 'fault.failed': case 'fault.revert-failed': case 'fault.retrying': return `${e.data.id} ${on(e.data.vm)} — ${e.data.error}`;
    case 'fault.denied': return `${e.data.id} ${on(e.data.vm)} — ${e.data.reason}`;
    case 'alert.fired': return `${e.data.name} — ${e.data.message}`;
    case 'alert.resolved': return e.data.name;
    case 'objective.passed': return `${e.data.id} ✓ passing — ${e.data.detail}`;
    case 'objective.failing': return `${e.data.id} ✗ failing — ${e.data.detail}`;
    case 'incident.seen': return e.data.objectives.join(', ');
    case 'penalty.charged': return `${e.data.id} (−${e.data.points} points) — ${e.data.detail}`;
    case 'root-cause.answered': return e.data.correct ? 'correct' : `wrong (−${e.data.points} points)`;
    case 'review.ended': return e.data.why;
    case 'fleet.progress': return e.data.message;
    case 'fleet.ready': return e.data.vms.map((v) => v.name).join(', ');
    case 'fleet.lost': return e.data.why;
    case 'fleet.destroy-failed': return e.data.error;
    case 'run.resolved': return `score ${e.data.score}`;
    case 'run.aborted': case 'run.expired': case 'run.failed': case 'run.halted': return e.data.error ?? '';
    case 'trainee.terminal': return on(e.data.vm);
    case 'terminal.opened': case 'terminal.watched': case 'terminal.keyboard-taken': case 'terminal.keyboard-released': return `${e.data.by} ${on(e.data.vm)}`;
    default: return e.kind.startsWith('integrity.') && 'detail' in e.data ? String(e.data.detail ?? '') : '';
  }
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
