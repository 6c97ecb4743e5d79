/**
 * Host-wide limits that namespace VMs share. Without a user namespace every VM's root is
 * the host's root user, so per-user limits are shared by all VMs: the default of 128 inotify
 * instances runs out at about 20 VMs (systemd, journald, logind, dbus each take some) and the
 * next VM's systemd dies at start. Raised here, never lowered.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const LIMITS: [path: string, min: number][] = [
  ['/proc/sys/fs/inotify/max_user_instances', 8192],
  ['/proc/sys/fs/inotify/max_user_watches', 524288],
];

/** Raises the shared limits the sandbox needs; returns what it changed (for the log). */
export function raiseHostLimits(): string[] {
  const changed: string[] = [];
  for (const [path, min] of LIMITS) {
    try {
      const cur = Number(readFileSync(path, 'utf8').trim());
      if (cur < min) {
        writeFileSync(path, String(min));
        changed.push(`${path.replace('/proc/sys/', '').replace(/\//g, '.')} ${cur} → ${min}`);
      }
    } catch {
      // Not writable here (a read-only /proc/sys): density is then capped by the host's setting.
    }
  }
  return changed;
}
