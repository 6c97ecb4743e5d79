// The incident's signals: alerts (shown once their fired_at has passed, newest first),
// symptoms, and objectives with their live pass/fail mark.
import { h, replaceChildren } from '../dom.ts';
import { formatClock } from '../format.ts';
import type { RunAlert, RunObjective } from '../view-model.ts';
import { passMark, severityBadge } from './badges.ts';

export interface AlertsPanel {
  el: HTMLElement;
  update(alerts: RunAlert[], elapsedMs: number): void;
}

/** Alerts appear at their fired_at; a newly fired alert is announced and highlighted. */
export function createAlertsPanel(): AlertsPanel {
  const list = h('ol', { class: 'alerts', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const empty = h('p', { class: 'muted empty' }, 'No alerts have fired.');
  const el = h('section', { class: 'panel', 'aria-labelledby': 'alerts-title' }, h('h2', { id: 'alerts-title' }, 'Alerts'), list, empty);
  const shown = new Set<string>();
  let firstRender = true;
  return {
    el,
    update(alerts, elapsedMs) {
      // A state-driven alert has no scripted time: it shows once it has fired.
      const at = (a: (typeof alerts)[number]): number => a.firedAtMs ?? 0;
      const fired = alerts.filter((a) => a.fired && at(a) <= elapsedMs + 500).sort((a, b) => at(b) - at(a));
      for (const a of [...fired].reverse()) {
        const key = `${a.name}@${a.firedAtMs}`;
        if (shown.has(key)) continue;
        shown.add(key);
        const item = h('li', { class: `alert severity-${a.severity}${firstRender ? '' : ' new'}`, 'data-alert': a.name },
          h('div', { class: 'alert-head' }, severityBadge(a.severity), h('strong', {}, a.name),
            h('span', { class: 'muted small alert-at' }, a.firedAtMs === null ? 'fired' : `fired at ${formatClock(a.firedAtMs)}`)),
          a.message ? h('p', {}, a.message) : null);
        list.prepend(item);
      }
      firstRender = false;
      empty.hidden = shown.size > 0;
    },
  };
}

export function renderSymptoms(symptoms: string[]): HTMLElement {
  return h('section', { class: 'panel', 'aria-labelledby': 'symptoms-title' },
    h('h2', { id: 'symptoms-title' }, 'Symptoms'),
    symptoms.length ? h('ul', { class: 'symptoms' }, symptoms.map((s) => h('li', {}, s))) : h('p', { class: 'muted empty' }, 'None reported.'));
}

export interface ObjectivesPanel {
  el: HTMLElement;
  update(objectives: RunObjective[]): void;
}

/** `showDetail`: staff see what each check measured; trainees find out for themselves. */
export function createObjectivesPanel(showDetail: boolean): ObjectivesPanel {
  const list = h('ul', { class: 'objectives' });
  const count = h('span', { class: 'muted small' });
  const el = h('section', { class: 'panel', 'aria-labelledby': 'objectives-title' },
    h('h2', { id: 'objectives-title' }, 'Objectives ', count), list);
  let last = '';
  return {
    el,
    update(objectives) {
      const key = JSON.stringify(objectives);
      if (key === last) return;
      last = key;
      count.textContent = `${objectives.filter((o) => o.passing).length}/${objectives.length}`;
      replaceChildren(list, objectives.map((o) => h('li', { class: o.passing ? 'objective pass' : 'objective fail', 'data-objective': o.id, 'data-passed': String(o.passing) },
        passMark(o.passing, o.state === 'waiting'), h('span', {}, o.description, showDetail && o.detail ? h('span', { class: 'muted small objective-detail' }, o.detail) : null))));
    },
  };
}
