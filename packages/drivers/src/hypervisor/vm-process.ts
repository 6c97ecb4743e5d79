/**
 * One hypervisor process (qemu or firecracker) as a child of Pudu: started with its
 * output in a log file, reaped when it exits, stopped by PID only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, existsSync } from 'node:fs';

const STOP_GRACE_MS = 3_000;

export interface VmProcess {
  readonly pid: number;
  /** Set once the process has exited: "exit 1" / "signal SIGKILL". */
  exitReason(): string | undefined;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<void>;
}

/** Spawns `binary args` with stdout/stderr appended to `logFile`. */
export function startVmProcess(binary: string, args: string[], logFile: string): Promise<VmProcess> {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    let exited: string | undefined;
    const exitedPromise = new Promise<void>((r) => child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit ${code}`;
      r();
    }));
    child.once('error', (e) => reject(new Error(`cannot start ${binary}: ${e.message}`)));
    child.once('spawn', () => resolve({
      pid: child.pid!,
      exitReason: () => exited,
      stop: async () => {
        if (exited) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, STOP_GRACE_MS);
        await exitedPromise;
        clearTimeout(timer);
      },
    }));
  });
}

/** Last `lines` lines of a log file ('' when it does not exist). Control characters are stripped. */
export function tailFile(path: string, lines = 40): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
  return text.split('\n').filter((l) => l.trim() !== '').slice(-lines).join('\n');
}

/** True when PID runs a command line containing `marker` (so cleanup never kills a reused PID). */
export function pidRuns(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker);
  } catch {
    return false;
  }
}
