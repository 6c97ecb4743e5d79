/**
 * Pudu's ordinary records of a VM's past: the deploy log with the changes before this one
 * (the service's files dated to match), root's shell history, the sessions that left it.
 * Scenario records (history-spec.ts) go into the same files, in time order.
 */
import { existsSync } from 'node:fs';
import type { VmClock } from './clock.ts';
import type { Random } from './traffic.ts';
import { UT, type UtmpEntry } from './utmp.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const DEPLOY_LOG = '/var/log/deploy.log';
export const SHELL_HISTORY = '/root/.bash_history';

/** A line with its time; `file`'s mtime follows the newest line written to it. */
export interface DatedLine {
  file: string;
  t: number;
  line: string;
}

/** Files whose mtime says when the deploy log says they changed. */
export interface FileDate {
  path: string;
  t: number;
}

const PEOPLE = ['mlopez', 'akim', 'jdoe', 'deploy-bot'];

/** Working hours on a weekday, `daysAgo` before `t`. */
function workHour(t: number, daysAgo: number, r: Random): number {
  let d = t - daysAgo * DAY;
  while ([0, 6].includes(new Date(d).getUTCDay())) d -= DAY;
  return Math.floor(d / DAY) * DAY + (9 + r() * 8) * HOUR;
}

/**
 * Earlier changes, oldest first, numbered CHG-1001… up to CHG-1039 (a scenario's own change
 * reads naturally from CHG-1040 on): app-server releases and one settings push, on the VMs
 * that run it; the last release dates the app's bundle, the push its settings file.
 */
export function earlierDeploys(clock: VmClock, services: Set<string>, r: Random): { lines: DatedLine[]; files: FileDate[] } {
  if (!services.has('app-server')) return { lines: [], files: [] };
  const out: DatedLine[] = [];
  let ticket = 1001 + Math.floor(r() * 8);
  let minor = 10 + Math.floor(r() * 4);
  const days = [34, 26, 19, 12, 6].map((d) => d + Math.floor(r() * 3));
  const pushAt = workHour(clock.started, 3 + Math.floor(r() * 3), r);
  for (const d of days) {
    const t = workHour(clock.started, d, r);
    ticket += 2 + Math.floor(r() * 5);
    minor += 1;
    out.push({ file: DEPLOY_LOG, t, line: `${new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z')} CHG-${ticket} app-server 2.${minor - 1}.0 -> 2.${minor}.0 deployed by deploy-bot (pipeline #${4000 + ticket * 3}): ok` });
  }
  out.push({ file: DEPLOY_LOG, t: pushAt, line: `${new Date(Math.floor(pushAt / 1000) * 1000).toISOString().replace('.000Z', 'Z')} CHG-${Math.min(1039, ticket + 3)} config app-server /etc/default/app-server: APP_DB_POOL_WAIT_MS 5000 -> 2000 by ${PEOPLE[Math.floor(r() * 3)]}: ok` });
  out.sort((a, b) => a.t - b.t);
  const lastRelease = Math.max(...out.filter((l) => l.line.includes('deployed')).map((l) => l.t));
  const files = [{ path: '/opt/app-server/app-server.mjs', t: lastRelease }, { path: '/etc/default/app-server', t: pushAt }].filter((f) => existsSync(f.path));
  return { lines: out, files };
}

const COMMANDS = [
  'systemctl status nginx', 'journalctl -u app-server --since today', 'df -h', 'free -m', 'uptime', 'tail -n 50 /var/log/nginx/access.log',
  'less /var/log/deploy.log', 'ss -ltnp', 'top', 'ps aux --sort=-%mem | head', 'du -sh /var/log/*', 'systemctl list-timers',
  'cat /etc/default/app-server', 'journalctl -p warning --since yesterday', 'curl -s localhost/healthz', 'ls -la /var/log/app',
  'apt list --upgradable', 'last -n 20', 'dmesg | tail',
];
const DB_COMMANDS = ['sudo -u postgres psql -c "select count(*) from pg_stat_activity"', 'tail -n 100 /var/log/postgresql/postgresql-15-main.log', 'du -sh /var/lib/postgresql'];

/** Past root sessions from the front address, one every few days, and what was typed in them. */
export function pastSessions(clock: VmClock, services: Set<string>, client: string, r: Random, extra: string[]): { sessions: UtmpEntry[]; shell: string[]; lastLogout: number } {
  const sessions: UtmpEntry[] = [];
  const shell: string[] = [];
  const pool = services.has('postgresql') ? [...COMMANDS, ...DB_COMMANDS] : COMMANDS;
  let lastLogout = clock.boot;
  for (let daysAgo = 20 + Math.floor(r() * 6); daysAgo >= 1; daysAgo -= 2 + Math.floor(r() * 3)) {
    const t = workHour(clock.started, daysAgo, r);
    if (t >= clock.started - HOUR) continue;
    const pid = 1000 + Math.floor(r() * 30000);
    const line = `pts/${Math.floor(r() * 2)}`;
    const end = t + (3 + r() * 35) * 60_000;
    const ip = /^\d+\.\d+\.\d+\.\d+$/.test(client) ? client : undefined;
    sessions.push({ type: UT.USER_PROCESS, pid, line, id: line.replace('pts/', 'ts/'), user: 'root', host: client, t, addr: ip });
    sessions.push({ type: UT.DEAD_PROCESS, pid, line, id: line.replace('pts/', 'ts/'), user: '', host: '', t: end });
    for (let n = 2 + Math.floor(r() * 5); n > 0; n--) shell.push(pool[Math.floor(r() * pool.length)]!);
    shell.push('exit');
    lastLogout = Math.max(lastLogout, end);
  }
  return { sessions, shell: [...shell, ...extra], lastLogout };
}
