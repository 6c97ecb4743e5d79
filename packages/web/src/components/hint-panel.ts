// The hint button: it states the penalty, asks to confirm in a modal dialog (Escape
// cancels), then shows the hint. When no hints are left it says so and charges nothing.
import type { PuduClient } from '@pudu/client';
import { h, replaceChildren } from '../dom.ts';
import { formatScore } from '../format.ts';

export interface HintPanel {
  el: HTMLElement;
  update(hints: string[], total: number, penalty: number, scoreNow: number | null, live: boolean): void;
}

export function createHintPanel(client: PuduClient, runId: string, readOnly: boolean, onTaken: (text: string, penalty: number) => void): HintPanel {
  const list = h('ol', { class: 'hints' });
  const button = h('button', { type: 'button', class: 'hint-button' }, 'Take a hint');
  const confirmText = h('p', { id: 'hint-confirm-text' });
  const takeButton = h('button', { type: 'button', class: 'primary hint-take', value: 'take' }, 'Take the hint');
  const cancelButton = h('button', { type: 'button', class: 'hint-cancel', value: 'cancel' }, 'Cancel');
  const dialog = h('dialog', { class: 'hint-dialog', 'aria-labelledby': 'hint-dialog-title', 'aria-describedby': 'hint-confirm-text' },
    h('h2', { id: 'hint-dialog-title' }, 'Take a hint?'), confirmText, h('div', { class: 'dialog-actions' }, cancelButton, takeButton));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const none = h('p', { class: 'muted empty' }, readOnly ? 'No hints taken.' : 'No hints taken yet.');
  const el = h('section', { class: 'panel hint-panel', 'aria-labelledby': 'hints-title' },
    h('h2', { id: 'hints-title' }, 'Hints'), list, none, readOnly ? null : button, error, dialog);
  let penaltyNow = 0;
  let taken = 0;
  let available = 0;
  let score: number | null = null;
  let lastKey = '';

  cancelButton.addEventListener('click', () => dialog.close('cancel'));
  button.addEventListener('click', () => {
    const cost = `It costs ${formatScore(penaltyNow)} points`;
    const after = score !== null ? `: your score would drop from ${formatScore(score)} to ${formatScore(Math.max(0, score - penaltyNow))}.` : '.';
    confirmText.textContent = `Hint ${taken + 1} of ${available}. ${cost}${after}`;
    dialog.showModal();
    cancelButton.focus();
  });
  takeButton.addEventListener('click', () => {
    takeButton.disabled = true;
    error.textContent = '';
    client.takeHint(runId).then(
      (res) => {
        takeButton.disabled = false;
        dialog.close('take');
        onTaken(res.text, res.hintPenalty);
        button.focus();
      },
      (e: unknown) => {
        takeButton.disabled = false;
        dialog.close('error');
        error.textContent = e instanceof Error ? e.message : String(e);
      },
    );
  });

  return {
    el,
    update(hints, total, penalty, scoreNow, live) {
      penaltyNow = penalty;
      taken = hints.length;
      available = total;
      score = scoreNow;
      const left = Math.max(0, total - hints.length);
      button.disabled = !live || left === 0;
      button.textContent = left === 0
        ? 'No hints left'
        : `Take a hint (−${formatScore(penalty)} points, ${left} left)`;
      const key = JSON.stringify(hints);
      if (key === lastKey) return;
      lastKey = key;
      replaceChildren(list, hints.map((x, i) => h('li', { class: 'hint', 'data-hint': String(i + 1) }, x)));
      list.hidden = hints.length === 0;
      none.hidden = hints.length > 0;
    },
  };
}
