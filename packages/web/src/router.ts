// Hash routes: the server serves one index.html, and a link to a run is shareable.

export type Route =
  | { name: 'signin'; next: string | null }
  | { name: 'dashboard' }
  | { name: 'room'; runId: string; readOnly: boolean }
  | { name: 'result'; runId: string }
  | { name: 'instructor' }
  | { name: 'approvals' }
  | { name: 'experiment'; id: string }
  | { name: 'join'; runId: string; token: string | null }
  | { name: 'gameday'; id: string }
  | { name: 'gameday-join'; id: string; code: string }
  | { name: 'notfound'; path: string };

/** Parses a location hash such as `#/runs/abc` into a route. */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = raw.split('?', 2);
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: 'dashboard' };
  if (parts[0] === 'signin' && parts.length === 1) return { name: 'signin', next: params.get('next') };
  if (parts[0] === 'instructor' && parts.length === 1) return { name: 'instructor' };
  if (parts[0] === 'approvals' && parts.length === 1) return { name: 'approvals' };
  if (parts[0] === 'approvals' && parts[1] && parts.length === 2) return { name: 'experiment', id: parts[1] };
  if (parts[0] === 'runs' && parts[1] && parts.length === 2) return { name: 'room', runId: parts[1], readOnly: false };
  if (parts[0] === 'runs' && parts[1] && parts[2] === 'result' && parts.length === 3) return { name: 'result', runId: parts[1] };
  if (parts[0] === 'watch' && parts[1] && parts.length === 2) return { name: 'room', runId: parts[1], readOnly: true };
  if (parts[0] === 'gamedays' && parts[1] && parts.length === 2) return { name: 'gameday', id: parts[1] };
  if (parts[0] === 'gamedays' && parts[1] && parts[2] === 'join' && parts.length === 3) return { name: 'gameday-join', id: parts[1], code: params.get('code') ?? '' };
  if (parts[0] === 'join' && parts[1] && parts.length === 2) return { name: 'join', runId: parts[1], token: params.get('token') };
  return { name: 'notfound', path };
}

/** The hash for a route (the inverse of parseRoute for the routes we link to). */
export function routeHash(route: Route): string {
  switch (route.name) {
    case 'signin': return route.next ? `#/signin?next=${encodeURIComponent(route.next)}` : '#/signin';
    case 'dashboard': return '#/';
    case 'room': return `#/${route.readOnly ? 'watch' : 'runs'}/${encodeURIComponent(route.runId)}`;
    case 'result': return `#/runs/${encodeURIComponent(route.runId)}/result`;
    case 'instructor': return '#/instructor';
    case 'approvals': return '#/approvals';
    case 'experiment': return `#/approvals/${encodeURIComponent(route.id)}`;
    case 'join': return `#/join/${encodeURIComponent(route.runId)}`;
    case 'gameday': return `#/gamedays/${encodeURIComponent(route.id)}`;
    case 'gameday-join': return `#/gamedays/${encodeURIComponent(route.id)}/join`;
    case 'notfound': return '#/';
  }
}

export function navigate(route: Route): void {
  location.hash = routeHash(route);
}
