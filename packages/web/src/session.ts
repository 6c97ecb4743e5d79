// Where the signed-in token lives. A token typed into the sign-in form is kept in
// localStorage (the browser profile); a token from a trainee link only in sessionStorage
// (this tab), so an instructor who opens a trainee link to check it stays signed in
// elsewhere. The link carries its token in the URL fragment, which browsers never send
// to the server, and the app removes it from the address bar as soon as it is read.
import { PuduClient } from '@pudu/client';

const TOKEN_KEY = 'pudu.token';

/** The API client for a token, talking to the server that served this page. */
export function clientFor(token: string): PuduClient {
  return new PuduClient({ baseUrl: location.origin, token });
}

export type TokenScope = 'profile' | 'tab';

function store(scope: TokenScope): Storage | null {
  try {
    return scope === 'tab' ? sessionStorage : localStorage;
  } catch {
    return null;
  }
}

/** The token for this tab: a trainee link's first, else the profile's. */
export function loadToken(): string | null {
  return store('tab')?.getItem(TOKEN_KEY) ?? store('profile')?.getItem(TOKEN_KEY) ?? null;
}

export function saveToken(token: string, scope: TokenScope = 'profile'): void {
  // Without storage (private mode) the token lives only as long as this page.
  store(scope)?.setItem(TOKEN_KEY, token);
}

/** Forgets the token this tab uses (a dead tab token falls back to the profile's). */
export function clearToken(): void {
  const tab = store('tab');
  if (tab?.getItem(TOKEN_KEY)) tab.removeItem(TOKEN_KEY);
  else store('profile')?.removeItem(TOKEN_KEY);
}

/** Builds the link a trainee opens: it signs them in and drops them into their run. */
export function traineeLink(origin: string, runId: string, token: string): string {
  return `${origin}/#/join/${encodeURIComponent(runId)}?token=${encodeURIComponent(token)}`;
}
