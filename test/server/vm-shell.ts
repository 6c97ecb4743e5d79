/** The scripted trainee's tools: SSH into a VM as root (after checking the route) and run a command. */
import { Client } from 'ssh2';
import { assertRouteThrough } from '../../packages/server/src/net/route-guard.ts';

export interface SshOptions {
  /** Default the seed's root/root. */
  auth?: { password?: string; privateKey?: string };
  readyTimeoutMs?: number;
}

/**
 * Runs `cmd` in the VM over SSH as root; resolves with stdout, stderr and the exit code.
 * With `hostLink`, refuses unless the VM's address routes through that link (the fleet's own).
 */
export async function sshExec(host: string, hostLink: string | null, cmd: string, opts: SshOptions = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  if (hostLink) await assertRouteThrough(host, hostLink);
  return new Promise((resolve, reject) => {
    const ssh = new Client();
    ssh.on('ready', () => {
      ssh.exec(cmd, (err, stream) => {
        if (err) {
          ssh.destroy();
          reject(err);
          return;
        }
        let stdout = '';
        let stderr = '';
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        stream.on('close', (code: number | null) => {
          // destroy, not end: a half-closed socket to a VM that is then destroyed lingers for
          // minutes (no FIN ever comes back) and keeps the test process alive.
          ssh.destroy();
          resolve({ stdout, stderr, code: code ?? -1 });
        });
      });
    });
    ssh.on('error', reject);
    ssh.connect({ host, port: 22, username: 'root', readyTimeout: opts.readyTimeoutMs ?? 10_000, ...(opts.auth ?? { password: 'root' }) });
  });
}

/** Thrown inside a waitFor callback to stop waiting at once (an assertion failure is fatal too). */
export class FatalWait extends Error {}

/**
 * Polls `fn` every `everyMs` until it returns a value (not undefined) or `timeoutMs` passes.
 * Transient errors (a server restarting) are retried; FatalWait and assertion errors end the wait.
 */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof FatalWait || (e as Error).name === 'AssertionError') throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
