import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Helpers (CPU burner, memory leaker) run as separate processes so the agent never
 * competes with them or gets OOM-killed in their place. Each watches its parent and exits
 * when the agent dies, so `kill -9` of the agent never leaves one running.
 */
export const PARENT_WATCH_JS = `
const __ppid = process.ppid;
setInterval(() => { if (process.ppid !== __ppid) process.exit(0); }, 200);
`;

/** Starts `node -e script` detached from the agent's stdio; resolves with its pid once spawned. */
export function spawnNodeHelper(marker: string, script: string, args: string[], extraNodeArgs: string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...extraNodeArgs, '-e', PARENT_WATCH_JS + script, '--', ...args], {
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PUDU_HELPER: marker },
    });
    child.once('error', reject);
    child.once('spawn', () => {
      // Reap it when it exits so it never lingers as a zombie.
      child.on('exit', () => undefined);
      resolve(child.pid as number);
    });
  });
}

/**
 * True when `pid` is alive and carries `PUDU_HELPER=marker` in its environment (a pid may be
 * reused; the command line is not used because helpers rename themselves).
 */
export function isHelperAlive(pid: unknown, marker: string): boolean {
  if (typeof pid !== 'number') return false;
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && env.split('\0').includes(`PUDU_HELPER=${marker}`);
  } catch {
    return false;
  }
}

/** Kills a helper (SIGKILL) when it is still ours, and waits until it is gone. */
export async function killHelper(pid: unknown, marker: string): Promise<void> {
  if (!isHelperAlive(pid, marker)) return;
  try {
    process.kill(pid as number, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && isHelperAlive(pid, marker); i++) await new Promise((r) => setTimeout(r, 10));
}

/**
 * plan/revert/isActive of a fault that is one helper process: the undo record holds its
 * pid, revert kills it, and the fault holds while it lives (a trainee killing it is a fix).
 */
export function helperLifecycle(marker: string) {
  return {
    plan: async (): Promise<Record<string, unknown>> => ({ pid: null }),
    revert: async (undo: Record<string, unknown>): Promise<void> => killHelper(undo.pid, marker),
    isActive: async (undo: Record<string, unknown>): Promise<boolean> => isHelperAlive(undo.pid, marker),
  };
}
