// Small labelled badges: run state, difficulty, severity. Colour is never the only cue;
// each badge carries its word.
import { h } from '../dom.ts';
import type { RunState } from '../view-model.ts';

export function stateBadge(state: RunState): HTMLElement {
  return h('span', { class: `badge state-${state}`, 'data-state': state }, state);
}

export function difficultyBadge(difficulty: string): HTMLElement {
  return h('span', { class: `badge difficulty-${difficulty || 'unknown'}` }, difficulty || '—');
}

export function severityBadge(severity: string): HTMLElement {
  return h('span', { class: `badge severity-${severity}` }, severity);
}

/** A check mark, a cross, or (before the incident struck) an ellipsis, with a text alternative for screen readers. */
export function passMark(passed: boolean, waiting = false): HTMLElement {
  if (waiting) return h('span', { class: 'mark waiting', role: 'img', 'aria-label': 'waiting for the incident' }, '…');
  return h('span', { class: passed ? 'mark pass' : 'mark fail', role: 'img', 'aria-label': passed ? 'passing' : 'failing' }, passed ? '✓' : '✗');
}
