// Terminal tabs, one per VM (WAI-ARIA tabs: arrow keys move between tabs). Each terminal
// is created on first view and kept open while other tabs are shown.
import type { PuduClient } from '@pudu/client';
import { h } from '../dom.ts';
import { createTerminal } from './terminal.ts';
import type { VmTerminal } from './terminal.ts';

export interface TabVm {
  name: string;
  index: number;
}

export interface TerminalTabs {
  el: HTMLElement;
  /** Shows the VMs (idempotent: tabs for known VMs are kept). */
  setVms(vms: TabVm[]): void;
  select(name: string): void;
  /** Ends every session (the run is over); tabs stay to read the scrollback. */
  end(reason: string): void;
  dispose(): void;
}

/** `unavailable` explains why this user has no terminals (observers may not open them). */
export function createTerminalTabs(client: PuduClient, readOnly: boolean, unavailable: string | null = null, canTakeKeyboard = false): TerminalTabs {
  const tablist = h('div', { role: 'tablist', 'aria-label': 'VM terminals', class: 'tabs' });
  const panels = h('div', { class: 'tab-panels' });
  const empty = h('p', { class: 'muted empty' }, unavailable ?? 'Terminals appear when the fleet is up.');
  const el = h('section', { class: 'panel terminals', 'aria-labelledby': 'terminals-title' },
    h('h2', { id: 'terminals-title' }, readOnly ? 'Terminals (read-only)' : 'Terminals'), tablist, panels, empty);
  const tabs = new Map<string, { tab: HTMLButtonElement; panel: HTMLElement; vm: TabVm; term: VmTerminal | null }>();
  let current: string | null = null;
  let ended: string | null = null;

  const select = (name: string, focusTerminal = false): void => {
    const entry = tabs.get(name);
    if (!entry) return;
    current = name;
    for (const [n, t] of tabs) {
      const on = n === name;
      t.tab.setAttribute('aria-selected', String(on));
      t.tab.tabIndex = on ? 0 : -1;
      t.panel.hidden = !on;
    }
    if (!entry.term) {
      if (ended) return;
      entry.term = createTerminal({ vmIndex: entry.vm.index, vmName: entry.vm.name, client, readOnly, canTakeKeyboard });
      entry.panel.append(entry.term.el);
    }
    const term = entry.term;
    requestAnimationFrame(() => {
      term.fit();
      if (focusTerminal) term.focus();
    });
  };

  tablist.addEventListener('keydown', (ev) => {
    const names = [...tabs.keys()];
    const i = current ? names.indexOf(current) : -1;
    let next: string | undefined;
    if (ev.key === 'ArrowRight') next = names[(i + 1) % names.length];
    else if (ev.key === 'ArrowLeft') next = names[(i - 1 + names.length) % names.length];
    else if (ev.key === 'Home') next = names[0];
    else if (ev.key === 'End') next = names[names.length - 1];
    if (!next) return;
    ev.preventDefault();
    select(next);
    tabs.get(next)?.tab.focus();
  });

  return {
    el,
    setVms(vms) {
      if (unavailable) return;
      for (const vm of vms) {
        if (tabs.has(vm.name)) continue;
        const id = `term-${vm.name.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
        const tab = h('button', {
          type: 'button', role: 'tab', id: `${id}-tab`, 'aria-controls': `${id}-panel`, 'aria-selected': 'false',
          tabindex: '-1', class: 'tab', 'data-vm': vm.name,
        }, vm.name);
        const panel = h('div', { role: 'tabpanel', id: `${id}-panel`, 'aria-labelledby': `${id}-tab`, hidden: true, class: 'tab-panel' });
        tab.addEventListener('click', () => select(vm.name, true));
        tablist.append(tab);
        panels.append(panel);
        tabs.set(vm.name, { tab, panel, vm, term: null });
      }
      empty.hidden = tabs.size > 0;
      const first = vms[0];
      if (current === null && first) select(first.name);
    },
    select: (name) => select(name, true),
    end(reason) {
      ended = reason;
      for (const t of tabs.values()) t.term?.end(reason);
    },
    dispose() {
      for (const t of tabs.values()) t.term?.dispose();
      tabs.clear();
    },
  };
}
