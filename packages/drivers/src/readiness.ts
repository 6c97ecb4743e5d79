/**
 * "Ready" = the agent answers GET /health and sshd sends its SSH banner. Both are
 * polled with short connect attempts (a refused connect to a VM returns in microseconds),
 * so ready is seen within one poll interval of being true — no fixed sleeps.
 */
import { connect } from 'node:net';
import { request } from 'node:http';
import { PuduError } from '@pudu/schema';

const POLL_INTERVAL_MS = 25;
const ATTEMPT_TIMEOUT_MS = 1000;
export const SSH_PORT = 22;

/** Resolves true when a TCP peer at ip:port sends an SSH banner. */
export function probeSsh(ip: string, port = SSH_PORT): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ATTEMPT_TIMEOUT_MS, () => done(false));
    s.once('data', (d: Buffer) => done(d.toString('latin1').startsWith('SSH-')));
    s.once('error', () => done(false));
    s.once('close', () => done(false));
  });
}

/** Resolves true when GET http://ip:port/health answers 200. */
export function probeAgent(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: ip, port, path: '/health', method: 'GET', timeout: ATTEMPT_TIMEOUT_MS, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

export interface WaitReadyOptions {
  ip: string;
  agentPort: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Returns a reason when the VM died (stop waiting), undefined while it lives. */
  failed?: () => string | undefined;
  /** Console tail for error messages. */
  consoleTail?: () => Promise<string>;
  name: string;
}

/** Waits until the VM is ready; throws VM_START_FAILED when it dies, VM_BOOT_TIMEOUT when it takes too long. */
export async function waitReady(o: WaitReadyOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let sshOk = false;
  let agentOk = false;
  for (;;) {
    if (o.signal?.aborted) throw new PuduError('VM_START_FAILED', `${o.name}: boot aborted`);
    const dead = o.failed?.();
    if (dead) {
      const tail = (await o.consoleTail?.()) ?? '';
      throw new PuduError('VM_START_FAILED', `${o.name} failed to boot: ${dead}\n--- console (last lines) ---\n${tail}`, { vm: o.name, console: tail });
    }
    [sshOk, agentOk] = await Promise.all([sshOk || probeSsh(o.ip), agentOk || probeAgent(o.ip, o.agentPort)]);
    if (sshOk && agentOk) return;
    if (Date.now() > deadline) {
      const tail = (await o.consoleTail?.()) ?? '';
      const missing = [sshOk ? '' : 'sshd', agentOk ? '' : 'pudu-agent /health'].filter(Boolean).join(' and ');
      throw new PuduError('VM_BOOT_TIMEOUT', `${o.name} not ready after ${o.timeoutMs} ms: ${missing} not answering\n--- console (last lines) ---\n${tail}`, { vm: o.name, console: tail });
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
}
