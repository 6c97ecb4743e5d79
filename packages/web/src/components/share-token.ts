// Hands a trainee their way in: a run-scoped token and a link that signs them in. Starting
// a run returns one trainee token; an admin can mint more (one per trainee).
import type { PuduClient } from '@pudu/client';
import { h, replaceChildren } from '../dom.ts';
import { traineeLink } from '../session.ts';

export interface ShareOptions {
  /** The trainee token the server returned when the run started (shown once). */
  token?: string | null;
  /** Admins may issue further trainee tokens for the run. */
  canIssue: boolean;
}

function renderLink(runId: string, token: string): HTMLElement[] {
  const link = traineeLink(location.origin, runId, token);
  const linkField = h('input', { type: 'text', readonly: true, value: link, class: 'share-link', 'aria-label': 'Trainee link' });
  const copy = h('button', { type: 'button' }, 'Copy link');
  copy.addEventListener('click', () => {
    linkField.select();
    navigator.clipboard?.writeText(link).then(() => { copy.textContent = 'Copied'; }, () => { copy.textContent = 'Press Ctrl+C'; });
  });
  return [
    h('div', { class: 'share-row' }, linkField, copy),
    h('p', { class: 'muted small' }, 'Trainee token (shown once, scoped to this run): ', h('code', { class: 'share-token' }, token)),
  ];
}

/** The trainee link for a run, and (for admins) a button to mint another one. */
export function renderShareToken(client: PuduClient, runId: string, options: ShareOptions): HTMLElement {
  const out = h('div', { class: 'share-out', 'aria-live': 'polite' }, options.token ? renderLink(runId, options.token) : []);
  if (!options.canIssue) {
    return h('div', { class: 'share' }, out,
      options.token ? null : h('p', { class: 'muted small' }, 'The trainee token was shown when the run started; an admin can issue another.'));
  }
  const name = h('input', { type: 'text', placeholder: 'trainee name (optional)', 'aria-label': 'Trainee name', class: 'share-name' });
  const button = h('button', { type: 'button', class: 'share-issue' }, options.token ? 'Another trainee link' : 'Create trainee link');
  button.addEventListener('click', () => {
    button.disabled = true;
    client.createToken({ role: 'trainee', runId, name: name.value.trim() || undefined }).then(
      (issued) => {
        button.disabled = false;
        replaceChildren(out, renderLink(runId, issued.token));
      },
      (e: unknown) => {
        button.disabled = false;
        replaceChildren(out, h('p', { class: 'form-error', role: 'alert' }, e instanceof Error ? e.message : String(e)));
      },
    );
  });
  return h('div', { class: 'share' }, out, h('div', { class: 'share-row' }, name, button));
}
