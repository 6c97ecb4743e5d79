import { readFileSync } from 'node:fs';

/** True while a process with this pid exists (EPERM: it exists but is not ours to signal). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process's start time in clock ticks since boot (/proc/PID/stat field 22): with the pid, it names one process across pid reuse. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True while the process `pid` that started at `startTime` still runs (not another one that reused its pid). */
export function sameProcessAlive(pid: number, startTime: string | undefined): boolean {
  if (!pidAlive(pid)) return false;
  return startTime === undefined || processStartTime(pid) === startTime;
}
