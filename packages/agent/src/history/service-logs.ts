/**
 * Ordinary logs of the weeks before the run, in the services' own formats and rotation:
 * nginx's access log (daily, .1 then .N.gz), the app-server's access log (same rotation,
 * its `start`/`done` line pair), PostgreSQL's log (weekly: checkpoints, and its startup moved
 * to the VM's boot). Each lies between the VM's boot and the moment it really started.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { VmClock } from './clock.ts';
import { clfTime, pgTime, shiftPgTimes } from './time-format.ts';
import { pastRequests, type PastRequest, type Random } from './traffic.ts';
import { metaOf, prependHistory, setTimes, writeDated, writeRotated, type Generation } from './write.ts';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** Rotated generations written (logrotate keeps more; older ones add nothing to a story). */
const DAILY_GENERATIONS = 7;
const WEEKLY_GENERATIONS = 4;
/** 1970-01-01 was a Thursday: weeks (logrotate's, from Monday 00:00) start 3 days later. */
const MONDAY_OFFSET = 4 * DAY;

export const NGINX_ACCESS_LOG = '/var/log/nginx/access.log';
export const APP_ACCESS_LOG = '/var/log/app/access.log';
const PG_LOG_DIR = '/var/log/postgresql';

export interface LogContext {
  clock: VmClock;
  random: Random;
  /** The address the VM's users come from (its default gateway: the fleet's front). */
  client: string;
}

interface Span {
  start: number;
  end: number;
}

/** Rotation periods from `to` back to `from`, newest first; the first is the live file's. */
export function periods(from: number, to: number, length: number, offset: number, max: number): Span[] {
  const out: Span[] = [];
  let end = to;
  let start = Math.max(from, Math.floor((to - offset) / length) * length + offset);
  while (out.length <= max && end > from) {
    out.push({ start, end });
    end = start;
    start = Math.max(from, start - length);
  }
  return out;
}

function inSpan(lines: { t: number; text: string }[], s: Span): Generation {
  const picked = lines.filter((l) => l.t >= s.start && l.t < s.end);
  return { text: picked.map((l) => `${l.text}\n`).join(''), end: picked.at(-1)?.t ?? s.end };
}

/** Writes one rotated log: the live file gets the newest period in front of its own lines, the rest go to .1, .2.gz… */
function writeLog(path: string, lines: { t: number; text: string }[], spans: Span[], mode: number): string[] {
  const [live, ...older] = spans.map((s) => inSpan(lines, s));
  const meta = metaOf(path, mode);
  const written = writeRotated(path, older, meta);
  if (live) {
    prependHistory(path, live.text, live.end, meta);
    written.unshift(path);
  }
  return written;
}

function nginxLine(client: string, r: PastRequest): string {
  return `${client} - - [${clfTime(r.t)}] "${r.method} ${r.path} HTTP/1.1" ${r.status} ${r.bytes} "-" "${r.ua}"`;
}

/** The app logs each request twice: when it starts (before answering) and when it is done. */
function appLines(r: PastRequest): { t: number; text: string }[] {
  const start = r.t - r.ms;
  return [
    { t: start, text: `${new Date(start).toISOString()} ${r.method} ${r.path} start` },
    { t: r.t, text: `${new Date(r.t).toISOString()} ${r.method} ${r.path} ${r.status} ${r.ms}ms` },
  ];
}

/** nginx and app-server access logs for the days before the VM really started. */
export function webLogs(ctx: LogContext, has: { nginx: boolean; app: boolean }): string[] {
  const { boot, started } = ctx.clock;
  const spans = periods(boot, started, DAY, 0, DAILY_GENERATIONS);
  const from = spans.at(-1)?.start ?? started;
  const requests = pastRequests(from, started, ctx.random);
  const written: string[] = [];
  // nginx creates its logs 0640 (logrotate: create 0640 www-data adm); the app's appends leave 0644.
  if (has.nginx) written.push(...writeLog(NGINX_ACCESS_LOG, requests.map((r) => ({ t: r.t, text: nginxLine(ctx.client, r) })), spans, 0o640));
  if (has.app) written.push(...writeLog(APP_ACCESS_LOG, requests.filter((r) => r.app).flatMap(appLines), spans, 0o644));
  // The last rotation renamed and created files in the log directories: that is their mtime.
  if (written.length > 0) for (const f of written) setTimes(dirname(f), spans[0]!.start);
  return written;
}

/** The PID of the running PostgreSQL checkpointer: the same process wrote every checkpoint line since boot. */
function checkpointerPid(): number | undefined {
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('checkpointer')) return Number(p);
    } catch { /* gone */ }
  }
  return undefined;
}

function checkpoints(from: number, to: number, pid: number, r: Random): { t: number; text: string }[] {
  const out: { t: number; text: string }[] = [];
  const step = 5 * 60_000;
  for (let t = Math.ceil(from / step) * step; t < to; t += step) {
    const hour = new Date(t).getUTCHours();
    if (r() > (hour >= 8 && hour < 19 ? 0.35 : 0.08)) continue;
    const buffers = 2 + Math.floor(r() * 60);
    const write = 0.1 + r() * 26.8;
    const done = t + Math.round(write * 1000) + 40;
    if (done >= to) break;
    const kb = buffers * 8;
    out.push({ t, text: `${pgTime(t)} [${pid}] LOG:  checkpoint starting: time` });
    out.push({ t: done, text: `${pgTime(done)} [${pid}] LOG:  checkpoint complete: wrote ${buffers} buffers (${(buffers / 20.48).toFixed(1)}%); 0 WAL file(s) added, 0 removed, ${r() < 0.1 ? 1 : 0} recycled; write=${write.toFixed(3)} s, sync=0.0${Math.floor(r() * 90 + 10)} s, total=${(write + 0.04).toFixed(3)} s; sync files=${1 + Math.floor(r() * 12)}, longest=0.004 s, average=0.002 s; distance=${kb} kB, estimate=${kb + Math.floor(r() * 200)} kB` });
  }
  return out;
}

/**
 * PostgreSQL's log: what it wrote at its real start (startup) moves to the VM's boot, then
 * checkpoints until the real start; weekly generations as Debian rotates them.
 */
export function postgresLogs(ctx: LogContext): string[] {
  if (!existsSync(PG_LOG_DIR)) return [];
  const file = readdirSync(PG_LOG_DIR).find((f) => /^postgresql-\d+-main\.log$/.test(f));
  if (!file) return [];
  const path = join(PG_LOG_DIR, file);
  const { boot, started } = ctx.clock;
  const startup = shiftPgTimes(readFileSync(path, 'utf8'), boot - started).split('\n').filter(Boolean)
    .map((text) => ({ t: boot, text }));
  const pid = checkpointerPid() ?? 40 + Math.floor(ctx.random() * 30);
  const spans = periods(boot, started, WEEK, MONDAY_OFFSET, WEEKLY_GENERATIONS);
  const lines = [...startup, ...checkpoints(boot + 60_000, started, pid, ctx.random)];
  const [live, ...older] = spans.map((s) => inSpan(lines, s));
  const meta = metaOf(path, 0o640);
  const written = writeRotated(path, older, meta);
  // Rewritten in place, not prepended: its own lines moved to the boot and are part of the history.
  writeDated(path, live?.text ?? '', meta, live?.end ?? started);
  setTimes(PG_LOG_DIR, spans[0]?.start ?? started);
  return [path, ...written];
}
