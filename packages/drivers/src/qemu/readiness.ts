/**
 * "Ready" for a hypervisor guest: the agent answers /health with 200 and sshd sends its
 * banner. Polled without fixed sleeps; each probe has its own short timeout so a guest
 * that is still booting costs one poll interval, not a TCP timeout.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { PuduError } from '@pudu/schema';
import { verifyRoute } from '../network/route-check.ts';

const POLL_INTERVAL_MS = 200;
/**
 * Once TCP connects, wait this long for an answer. Short timeouts plus retries pile up
 * half-open connections: sshd forks per connection and a slow (TCG) guest then refuses
 * everyone with "Exceeded MaxStartups" — the probe must never be what keeps a guest busy.
 */
const PROBE_TIMEOUT_MS = 30_000;
const SSH_PORT = 22;

export interface WaitReadyOptions {
  guestIp: string;
  /** The TAP the route to guestIp must use; checked before the first packet. */
  link: string;
  agentPort: number;
  agentToken?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Returns a reason when the VM process has died (stop waiting at once). */
  deadReason: () => string | undefined;
  /** Called with the console tail for error messages. */
  consoleTail: () => string;
  vmName: string;
}

export interface ReadyTimes {
  agentMs: number;
  sshMs: number;
}

/** True when GET /health answers 200. */
export function agentHealthy(ip: string, port: number, token?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: ip, port, path: '/health', method: 'GET', timeout: PROBE_TIMEOUT_MS, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** True when something on ip:22 greets with an SSH banner. */
export function sshAccepting(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: ip, port: SSH_PORT });
    let buf = '';
    const done = (v: boolean): void => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) done(buf.startsWith('SSH-'));
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

/** Resolves when agent and sshd both answer; throws VM_START_FAILED / VM_BOOT_TIMEOUT with the console tail. */
export async function waitForGuestReady(o: WaitReadyOptions): Promise<ReadyTimes> {
  await verifyRoute(o.guestIp, o.link);
  const start = Date.now();
  let agentMs: number | undefined;
  let sshMs: number | undefined;
  for (;;) {
    if (o.signal?.aborted) throw new PuduError('VM_START_FAILED', `${o.vmName}: boot aborted`);
    const dead = o.deadReason();
    if (dead) throw new PuduError('VM_START_FAILED', `${o.vmName}: ${dead}\n--- console (last lines) ---\n${o.consoleTail()}`);
    const elapsed = Date.now() - start;
    if (elapsed > o.timeoutMs) {
      const missing = [agentMs === undefined ? `agent :${o.agentPort}/health` : '', sshMs === undefined ? 'sshd :22' : ''].filter(Boolean).join(' and ');
      throw new PuduError('VM_BOOT_TIMEOUT', `${o.vmName}: ${missing} not answering after ${Math.round(o.timeoutMs / 1000)} s\n--- console (last lines) ---\n${o.consoleTail()}`);
    }
    const [a, s] = await Promise.all([
      agentMs === undefined ? agentHealthy(o.guestIp, o.agentPort, o.agentToken) : true,
      sshMs === undefined ? sshAccepting(o.guestIp) : true,
    ]);
    if (a && agentMs === undefined) agentMs = Date.now() - start;
    if (s && sshMs === undefined) sshMs = Date.now() - start;
    if (agentMs !== undefined && sshMs !== undefined) return { agentMs, sshMs };
    const wait = POLL_INTERVAL_MS - (Date.now() - start - elapsed);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}
