/**
 * The VM's own idea of its past. Its boot is `now − /proc/uptime` (the sandbox's time
 * namespace sets it weeks back); `started` is when its PID 1 really started (the wall-clock
 * moment the sandbox or VM booted). History lies between the two: every line written there
 * is older than anything the real services wrote since.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc/<pid>/stat start times on every Linux Pudu runs on. */
const CLOCK_TICKS_PER_S = 100;

export interface VmClock {
  now: number;
  /** Epoch ms of the boot the VM's uptime counts from. */
  boot: number;
  /** Epoch ms when PID 1 started for real. */
  started: number;
}

/** Field 22 (starttime) of a /proc/<pid>/stat text, in clock ticks since boot. */
export function startTicksOf(stat: string): number {
  // comm may contain spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[19]);
}

export function readVmClock(now = Date.now()): VmClock {
  const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const boot = Math.round(now - uptimeS * 1000);
  const pid1 = startTicksOf(readFileSync('/proc/1/stat', 'utf8'));
  const started = Math.min(now, Math.round(boot + (pid1 / CLOCK_TICKS_PER_S) * 1000));
  return { now, boot, started };
}
