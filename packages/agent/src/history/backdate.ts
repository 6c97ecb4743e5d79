/**
 * Files a VM was given when it was set up (its hostname, hosts, service settings, the
 * units it enables) are written by the driver seconds before boot; on a VM that has been
 * up for weeks they were set up before it booted. Dated back to a provisioning time, in
 * their order, without following symlinks. Only small trees (/etc, /root): changing a
 * file of the shared image copies it up into the VM's disk.
 */
import { lstatSync, lutimesSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const BACKDATED_TREES = ['/etc', '/root'] as const;

/** Everything under `root` changed at or after `since` (not crossing into other mounts), deepest first. */
export function changedSince(root: string, since: number): string[] {
  const out: string[] = [];
  let dev: number;
  try {
    dev = lstatSync(root).dev;
  } catch {
    return out;
  }
  const walk = (p: string): void => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (st.dev !== dev) return;
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) walk(join(p, e));
    }
    if (st.mtimeMs >= since) out.push(p);
  };
  walk(root);
  return out;
}

/**
 * Sets each path's times to `provisioned` plus a few seconds per path (a setup writes its
 * files one after another). Returns how many it moved.
 */
export function backdate(paths: string[], provisioned: number): number {
  let n = 0;
  for (const p of paths) {
    const t = (provisioned + n * 1500) / 1000;
    try {
      lutimesSync(p, t, t);
      n++;
    } catch { /* read-only or gone: leave it */ }
  }
  return n;
}
