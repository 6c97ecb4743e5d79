/**
 * An image that says "installed an hour ago" makes every lab VM look freshly made: files the
 * build wrote (debootstrap's, the packages' scripts', Pudu's own) are moved back as one
 * block, their order kept, and so are the dates the install logs wrote in their text.
 * Files that came from packages keep their packaged (older) dates. debootstrap's own log,
 * which names the build host's paths, is not part of a real machine and goes.
 */
import { lstatSync, lutimesSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DAY = 86_400_000;
/** How far back the build's files go: older than any VM's uptime (history-spec.ts allows up to weeks). */
export const IMAGE_AGE_MS = 150 * DAY;
/** Files newer than this before the build started were written by a build (base or final layer). */
const BUILD_WINDOW_MS = 90 * DAY;
/** Install logs whose lines carry dates (dpkg, update-alternatives, apt). */
const DATED_LOGS = ['var/log/dpkg.log', 'var/log/alternatives.log', 'var/log/apt/history.log', 'var/log/apt/term.log'];
const DROPPED = ['var/log/bootstrap.log'];

/** `YYYY-MM-DD HH:MM:SS` (one or two spaces, as apt writes) moved by `deltaMs` when after `since`. */
export function shiftLogDates(text: string, since: number, deltaMs: number): string {
  return text.replace(/\b(\d{4}-\d{2}-\d{2})( {1,2})(\d{2}:\d{2}:\d{2})\b/g, (m, d: string, sp: string, hms: string) => {
    const t = Date.parse(`${d}T${hms}Z`);
    if (Number.isNaN(t) || t < since) return m;
    const s = new Date(t + deltaMs).toISOString();
    return `${s.slice(0, 10)}${sp}${s.slice(11, 19)}`;
  });
}

/** Moves back every file of `root` the build wrote; returns how many. */
export function backdateImage(root: string, buildStarted: number, ageMs = IMAGE_AGE_MS): number {
  const since = buildStarted - BUILD_WINDOW_MS;
  for (const f of DROPPED) rmSync(join(root, f), { force: true });
  for (const f of DATED_LOGS) {
    try {
      writeFileSync(join(root, f), shiftLogDates(readFileSync(join(root, f), 'utf8'), since, -ageMs));
    } catch { /* not in this image */ }
  }
  let moved = 0;
  const rootDev = lstatSync(root).dev;
  const walk = (p: string): void => {
    const st = lstatSync(p);
    if (st.dev !== rootDev) return;
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    // After the children: writing them changed nothing here, but a directory is dated last anyway.
    if (st.mtimeMs >= since) {
      const t = (st.mtimeMs - ageMs) / 1000;
      lutimesSync(p, t, t);
      moved++;
    }
  };
  walk(root);
  return moved;
}
