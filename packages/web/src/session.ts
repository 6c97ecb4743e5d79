// The signed-in token lives in localStorage (per browser profile). A trainee link carries
// its token in the URL fragment, which browsers never send to the server, and the app
// removes it from the address bar as soon as it is read.

const TOKEN_KEY = 'pudu.token';

export function loadToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    localStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Private mode without storage: the token lives only as long as this page.
  }
}

export function clearToken(): void {
  try {
    localStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing stored
  }
}

/** Builds the link a trainee opens: it signs them in and drops them into their run. */
export function traineeLink(origin: string, runId: string, token: string): string {
  return `${origin}/#/join/${encodeURIComponent(runId)}?token=${encodeURIComponent(token)}`;
}
