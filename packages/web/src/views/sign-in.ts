// Sign-in with a token: the first `pudu server` start prints an admin token; instructors
// hand trainees a link that signs them in directly.
import { PuduApiError, type PuduClient } from '@pudu/client';
import { h } from '../dom.ts';
import { clientFor } from '../session.ts';
import type { WhoAmI } from '../view-model.ts';
import type { View } from '../view.ts';

export interface SignInOptions {
  error?: string | null;
  onSignedIn(client: PuduClient, identity: WhoAmI): void;
}

export function renderSignIn(options: SignInOptions): View {
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true,
    spellcheck: 'false', placeholder: 'pudu_…', 'aria-describedby': 'token-help',
  });
  const message = h('p', { class: 'form-error', role: 'alert', id: 'signin-error' }, options.error ?? '');
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'signin-card', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to Pudu'),
    h('label', { for: 'token' }, 'Access token'),
    input,
    h('p', { id: 'token-help', class: 'muted' },
      'The admin token is printed once when ', h('code', {}, 'pudu server'), ' first starts. ',
      'Trainees get a link from their instructor.'),
    h('p', { class: 'recording-notice', 'data-testid': 'recording-notice' },
      'Terminal sessions are recorded (what you type and what the screen shows) for the run\'s replay and its blameless post-mortem; an instructor may watch your terminal live.'),
    message,
    button,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    button.disabled = true;
    message.textContent = '';
    const client = clientFor(token);
    client.whoami().then(
      (identity) => options.onSignedIn(client, identity),
      (e: unknown) => {
        button.disabled = false;
        message.textContent = e instanceof PuduApiError && e.status === 401
          ? 'That token is not valid (401). Check it and try again.'
          : e instanceof Error ? e.message : String(e);
        input.select();
      },
    );
  });
  const el = h('main', { class: 'signin', id: 'main' }, form);
  queueMicrotask(() => input.focus());
  return { el, dispose: () => undefined };
}
