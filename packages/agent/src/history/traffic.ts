/**
 * The requests a small shop's web VM served before the incident: a monitor polling the
 * health path every minute, users busier by day than by night, the odd scanner. Only the
 * shapes the demo app really answers (routes of packages/app-server).
 */
export type Random = () => number;

export interface PastRequest {
  t: number;
  method: 'GET' | 'POST';
  path: string;
  status: number;
  bytes: number;
  /** Time the app took (ms). */
  ms: number;
  ua: string;
  /** Answered by the app (false: nginx alone, e.g. a 404 for a file). */
  app: boolean;
}

const MINUTE = 60_000;
const MONITOR_UA = 'Blackbox Exporter/0.24.0';
/** What the monitor polls once a minute: the demo app-server's own health route (not Pudu's API). */
export const MONITOR = { path: '/healthz' } as const;
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'okhttp/4.12.0',
  'python-requests/2.31.0',
];
const SCANS = ['/wp-login.php', '/.env', '/.git/config', '/phpmyadmin/', '/actuator/health'];

/** Users per minute at a UTC hour: quiet at night, busy from nine to six. */
function usersPerMinute(hour: number): number {
  if (hour < 6) return 0.15;
  if (hour < 9) return 0.6;
  if (hour < 18) return 1.4;
  return 0.7;
}

function pick<T>(items: readonly T[], r: Random): T {
  return items[Math.floor(r() * items.length)]!;
}

function userRequest(t: number, r: Random): PastRequest {
  const x = r();
  const ua = pick(USER_AGENTS, r);
  const ms = Math.round(4 + r() * 30 + (r() < 0.05 ? r() * 400 : 0));
  if (x < 0.6) return { t, method: 'GET', path: '/api/items', status: 200, bytes: 180 + Math.floor(r() * 1800), ms, ua, app: true };
  if (x < 0.8) return { t, method: 'POST', path: '/api/items', status: 201, bytes: 60 + Math.floor(r() * 40), ms: ms + 6, ua, app: true };
  if (x < 0.9) return { t, method: 'GET', path: '/', status: 200, bytes: 90 + Math.floor(r() * 20), ms, ua, app: true };
  if (x < 0.98) return { t, method: 'GET', path: '/favicon.ico', status: 404, bytes: 20, ms: 1, ua, app: true };
  return { t, method: 'GET', path: pick(SCANS, r), status: 404, bytes: 20, ms: 1, ua: 'Mozilla/5.0 zgrab/0.x', app: true };
}

/** Requests between `from` and `to` (epoch ms), in time order. */
export function pastRequests(from: number, to: number, r: Random): PastRequest[] {
  const out: PastRequest[] = [];
  for (let m = Math.ceil(from / MINUTE) * MINUTE; m < to; m += MINUTE) {
    const probe = m + Math.floor(r() * 900);
    if (probe < to) out.push({ t: probe, method: 'GET', path: MONITOR.path, status: 200, bytes: 15, ms: 1 + Math.floor(r() * 3), ua: MONITOR_UA, app: true });
    const lambda = usersPerMinute(new Date(m).getUTCHours());
    // Poisson by inversion: few events per minute, so this stays cheap.
    let k = 0;
    let p = Math.exp(-lambda);
    let s = p;
    const u = r();
    while (u > s && k < 20) {
      k++;
      p *= lambda / k;
      s += p;
    }
    for (let i = 0; i < k; i++) {
      const t = m + Math.floor(r() * MINUTE);
      if (t < to) out.push(userRequest(t, r));
    }
  }
  return out.sort((a, b) => a.t - b.t);
}
