/**
 * "Ready", for every driver: the agent answers GET /health with 200 and sshd sends its
 * SSH banner. The route to the guest is checked to go through the VM's own link before
 * the first packet. Polled without fixed sleeps: a refused connect to a VM returns in
 * microseconds, so ready is seen within one poll interval of being true.
 */
import { connect } from 'node:net';
import { connectAgentSocket } from '@pudu/agent';
import { request } from 'node:http';
import { agentPath, PuduError } from '@pudu/schema';
import { verifyRoute } from './network/route-check.ts';

const DEFAULT_POLL_INTERVAL_MS = 25;
const DEFAULT_ATTEMPT_TIMEOUT_MS = 1000;
export const SSH_PORT = 22;

/** Resolves true when a TCP peer at ip:port greets with an SSH banner line. */
export function probeSsh(ip: string, port = SSH_PORT, timeoutMs = DEFAULT_ATTEMPT_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port });
    let buf = '';
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\n') || !'SSH-'.startsWith(buf.slice(0, 4))) done(buf.startsWith('SSH-'));
    });
    s.once('error', () => done(false));
    s.once('close', () => done(false));
  });
}

/** Resolves true when GET /health answers 200 (over the agent's Unix socket when given, else http://ip:port). */
export function probeAgent(ip: string, port: number, timeoutMs = DEFAULT_ATTEMPT_TIMEOUT_MS, socket?: string): Promise<boolean> {
  return new Promise((resolve) => {
    let unix;
    try {
      unix = socket === undefined ? undefined : connectAgentSocket(socket);
    } catch {
      return resolve(false);
    }
    // No `agent` option with createConnection: `agent: false` would make a fresh Agent that ignores it.
    const target = unix ? { createConnection: () => unix } : { host: ip, port, agent: false as const };
    const req = request({ ...target, path: agentPath('health'), method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

export interface WaitReadyOptions {
  name: string;
  ip: string;
  /** The host link the route to `ip` must use; checked before the first packet. */
  link?: string;
  agentPort: number;
  /** The agent's host-side Unix socket, when the driver has one (no TCP probe then). */
  agentSocket?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Returns a reason when the VM died (stop waiting), undefined while it lives. */
  failed?: () => string | undefined;
  /** Console tail for error messages. */
  consoleTail?: () => string | Promise<string>;
  pollIntervalMs?: number;
  /**
   * How long one probe waits once TCP connected. A slow (TCG) guest needs long ones: short
   * timeouts plus retries pile up half-open connections, sshd forks per connection and then
   * refuses everyone with "Exceeded MaxStartups" — the probe must never keep a guest busy.
   */
  attemptTimeoutMs?: number;
  /**
   * The tier's services that are not active yet, where the driver can ask; polled once sshd and
   * the agent answer. A test or a run that checks a service right after "ready" must not race
   * systemd (Postgres takes seconds on a loaded host).
   */
  pendingServices?: () => Promise<string[]>;
}

/** When each half answered, in ms after waiting began. */
export interface ReadyTimes {
  agentMs: number;
  sshMs: number;
}

/** Waits until the VM is ready; throws VM_START_FAILED when it dies, VM_BOOT_TIMEOUT when it takes too long. */
export async function waitReady(o: WaitReadyOptions): Promise<ReadyTimes> {
  if (o.link) await verifyRoute(o.ip, o.link);
  const start = Date.now();
  const poll = o.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const attempt = o.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  let agentMs: number | undefined;
  let sshMs: number | undefined;
  let pending: string[] = [];
  const withConsole = async (msg: string): Promise<{ msg: string; tail: string }> => {
    const tail = (await o.consoleTail?.()) ?? '';
    return { msg: `${msg}\n--- console (last lines) ---\n${tail}`, tail };
  };
  for (;;) {
    if (o.signal?.aborted) throw new PuduError('VM_START_FAILED', `${o.name}: boot aborted`);
    const dead = o.failed?.();
    if (dead) {
      const { msg, tail } = await withConsole(`${o.name} failed to boot: ${dead}`);
      throw new PuduError('VM_START_FAILED', msg, { vm: o.name, console: tail });
    }
    const round = Date.now();
    if (round - start > o.timeoutMs) {
      const missing = [agentMs === undefined ? `pudu-agent :${o.agentPort}${agentPath('health')}` : '', sshMs === undefined ? 'sshd :22' : ''].filter(Boolean).join(' and ');
      const why = missing ? `${missing} not answering` : `services not active yet: ${pending.join(', ')}`;
      const { msg, tail } = await withConsole(`${o.name} not ready after ${o.timeoutMs} ms: ${why}`);
      throw new PuduError('VM_BOOT_TIMEOUT', msg, { vm: o.name, console: tail, pendingServices: pending });
    }
    const [a, s] = await Promise.all([
      agentMs ?? probeAgent(o.ip, o.agentPort, attempt, o.agentSocket),
      sshMs ?? probeSsh(o.ip, SSH_PORT, attempt),
    ]);
    if (a === true) agentMs = Date.now() - start;
    if (s === true) sshMs = Date.now() - start;
    if (agentMs !== undefined && sshMs !== undefined) {
      pending = (await o.pendingServices?.()) ?? [];
      if (pending.length === 0) return { agentMs, sshMs };
    }
    const wait = poll - (Date.now() - round);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}
