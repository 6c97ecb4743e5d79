import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDurationMs, parsePercent, PuduError, type AgentNetworkParams } from '@pudu/schema';
import { run, runOk } from '../exec.ts';
import type { FaultContext, FaultDriver, Undo } from './fault.ts';
import { helperTools, requireTools } from './verify.ts';
import { isHelperUnitAlive, startHelperUnit, stopHelperUnit } from './helper-process.ts';

/** The packet handler runs as a service of its own under this name (its unit, `ps`, its install dir). */
const NFQ_NAME = 'net-shaper';
const NFQ_READY_TIMEOUT_MS = 3000;
const QUEUE_BASE = 7700;
const TC_PRIO_HANDLE = '1:';
const ALL_TO_BAND_3 = Array(16).fill('2');

/** The interface that carries the default route (never a hard-coded eth0). */
async function findInterface(): Promise<string> {
  const r = await run('ip', ['-o', 'route', 'show', 'default']);
  const dev = /\bdev\s+(\S+)/.exec(r.stdout)?.[1];
  if (dev) return dev;
  const links = await run('ip', ['-o', 'link', 'show', 'up']);
  const first = links.stdout.split('\n').map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1]).find((n) => n && n !== 'lo');
  if (!first) throw new PuduError('FAULT_APPLY_FAILED', 'network: no interface with a default route or link up was found');
  return first;
}

function netemArgs(p: AgentNetworkParams): string[] {
  if (p.action === 'delay') {
    const args = ['delay', `${parseDurationMs(p.latency ?? '0ms')}ms`];
    if (p.jitter) args.push(`${parseDurationMs(p.jitter)}ms`);
    return args;
  }
  if (p.action === 'loss') return ['loss', `${parsePercent(p.packet_loss ?? '0%')}%`];
  return ['corrupt', `${parsePercent(p.corrupt ?? '0%')}%`];
}

/** Tries netem under a prio qdisc whose band 1 (the agent's own port) bypasses it. */
async function applyNetem(dev: string, p: AgentNetworkParams, port: number): Promise<boolean> {
  const add = await run('tc', ['qdisc', 'add', 'dev', dev, 'root', 'handle', TC_PRIO_HANDLE, 'prio', 'bands', '3', 'priomap', ...ALL_TO_BAND_3]);
  // A kernel without prio (like this project's CI host) has no netem either: take the iptables path.
  if (add.code !== 0 && /unknown|not found|No such file/i.test(add.stderr)) return false;
  if (add.code !== 0) throw new PuduError('FAULT_APPLY_FAILED', `network: tc qdisc add prio on ${dev}: ${add.stderr.trim()}`);
  const netem = await run('tc', ['qdisc', 'add', 'dev', dev, 'parent', '1:3', 'handle', '30:', 'netem', ...netemArgs(p)]);
  if (netem.code !== 0) {
    await run('tc', ['qdisc', 'del', 'dev', dev, 'root']);
    if (/unknown|not found|No such file/i.test(netem.stderr)) return false;
    throw new PuduError('FAULT_APPLY_FAILED', `network: tc netem on ${dev}: ${netem.stderr.trim()}`);
  }
  // Over a Unix socket or vsock the control channel never crosses this interface: no exemption to show.
  if (port > 0) await runOk('tc', ['filter', 'add', 'dev', dev, 'parent', TC_PRIO_HANDLE, 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'sport', String(port), '0xffff', 'flowid', '1:1'], 'network: keep the agent port out of netem');
  return true;
}

/**
 * True once a process has bound NFQUEUE `queue` in this network namespace. In a VM whose
 * root is a user namespace's (the sandbox) that /proc file stays the host root's and cannot
 * be read: then the handler's own word counts — it prints "ready" once bound (pudu-nfq.c).
 */
async function queueBound(queue: number, pid: number): Promise<boolean> {
  try {
    return readFileSync('/proc/net/netfilter/nfnetlink_queue', 'utf8').split('\n').some((l) => Number(l.trim().split(/\s+/)[0]) === queue);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES') return false;
    const said = await run('journalctl', ['--quiet', '--output=cat', `_PID=${pid}`]);
    return said.stdout.split('\n').includes('ready');
  }
}

/** Starts the handler as its own unit (not a child of the agent) and waits until it holds the queue. */
async function startNfq(bin: string, queue: number, o: { delayMs: number; jitterMs: number; corruptPct: number }): Promise<number> {
  const pid = await startHelperUnit({
    name: NFQ_NAME,
    description: 'Traffic shaping service',
    binary: bin,
    args: [NFQ_NAME, String(queue), String(o.delayMs), String(o.jitterMs), String(o.corruptPct), String(queue)],
  });
  const deadline = Date.now() + NFQ_READY_TIMEOUT_MS;
  while (!(await queueBound(queue, pid))) {
    if (Date.now() > deadline || !(await isHelperUnitAlive(NFQ_NAME, pid))) {
      await stopHelperUnit(NFQ_NAME);
      throw new PuduError('FAULT_APPLY_FAILED', `network: the packet handler did not bind queue ${queue} within ${NFQ_READY_TIMEOUT_MS} ms`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return pid;
}

function nfqBinary(ctx: FaultContext): string {
  return join(ctx.nativeDir, 'pudu-nfq');
}

async function ipt(undo: Undo, args: string[]): Promise<{ code: number; stderr: string }> {
  return run(String(undo.iptables ?? 'iptables'), ['-w', '5', ...args]);
}

/** The iptables that works on this kernel: the nft backend, else legacy (a kernel may have only one). */
async function chooseIptables(): Promise<string | undefined> {
  for (const bin of ['iptables', 'iptables-legacy']) {
    const r = await run(bin, ['-w', '5', '-S', 'OUTPUT']);
    if (r.code === 0) return bin;
  }
  return undefined;
}

/** Last resort: netem as the root qdisc; the agent's port cannot be exempted then, and we say so. */
async function applyRootNetem(dev: string, p: AgentNetworkParams): Promise<boolean> {
  const r = await run('tc', ['qdisc', 'add', 'dev', dev, 'root', 'handle', '30:', 'netem', ...netemArgs(p)]);
  return r.code === 0;
}

/**
 * network: delay | loss | corrupt on egress of the VM's real interface. tc netem where the
 * kernel has it; otherwise an iptables chain: loss with `-m statistic`, delay/corrupt through
 * NFQUEUE (`--queue-bypass`) to the pudu-nfq handler. Either way the agent's own port is
 * exempt, so the controller keeps talking to it.
 */
export const networkFault: FaultDriver<'network'> = {
  type: 'network',
  conflictKey: (p) => `network:${p.interface ?? 'default'}`,
  async plan(id, p: AgentNetworkParams, ctx): Promise<Undo> {
    const dev = p.interface ?? (await findInterface());
    const link = await run('ip', ['link', 'show', 'dev', dev]);
    if (link.code !== 0) throw new PuduError('FAULT_INVALID', `params.interface: ${dev} does not exist in the VM`);
    const hash = [...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
    return {
      dev,
      chain: `QOS-${dev}`.slice(0, 28),
      queue: QUEUE_BASE + (hash % 200),
      port: ctx.controlPort,
      iptables: 'iptables',
      mode: null,
      pid: null,
    };
  },
  /** One of the ways apply may take must be open: tc (netem), or iptables with the packet handler for delay/corrupt. */
  async verify(p: AgentNetworkParams, undo, ctx) {
    const out = requireTools('network', ['ip']);
    const tc = (await run('tc', ['qdisc', 'show', 'dev', String(undo.dev)])).code === 0;
    const iptables = await chooseIptables();
    const handler = p.action === 'loss' || existsSync(nfqBinary(ctx));
    if (!tc && !(iptables && handler)) {
      throw new PuduError('FAULT_APPLY_FAILED', `network: no way to shape ${String(undo.dev)} here: tc ${tc ? 'usable' : 'missing'}, iptables ${iptables ?? 'not usable'}${handler ? '' : ', packet handler missing'}`);
    }
    if (!tc && p.action !== 'loss') out.push(...helperTools('network'));
    return [...out, `network: ${[tc ? 'tc' : '', iptables && handler ? iptables : ''].filter(Boolean).join(' and ')} usable on ${String(undo.dev)}`];
  },
  async apply(_id, p, undo, ctx) {
    const dev = String(undo.dev);
    if (await applyNetem(dev, p, Number(undo.port))) {
      undo.mode = 'netem';
      return { mechanism: 'tc-netem' };
    }
    const iptables = await chooseIptables();
    if (!iptables) {
      if (await applyRootNetem(dev, p)) {
        undo.mode = 'netem';
        ctx.log('network: no prio qdisc and no usable iptables; netem on the root qdisc also delays the agent port', { dev });
        return { mechanism: 'tc-netem-root' };
      }
      throw new PuduError('FAULT_APPLY_FAILED', `network: this kernel has neither tc netem nor a usable iptables (nft or legacy) on ${dev}`);
    }
    undo.iptables = iptables;
    undo.mode = 'iptables';
    const chain = String(undo.chain);
    const create = await ipt(undo, ['-N', chain]);
    if (create.code !== 0) throw new PuduError('FAULT_APPLY_FAILED', `network: iptables -N ${chain}: ${create.stderr.trim()}`);
    if (Number(undo.port) > 0) await runOk(iptables, ['-w', '5', '-A', chain, '-p', 'tcp', '--sport', String(undo.port), '-j', 'RETURN'], 'network: exempt the agent port');
    if (p.action === 'loss') {
      const prob = ((parsePercent(p.packet_loss ?? '0%') ?? 0) / 100).toFixed(4);
      await runOk(iptables, ['-w', '5', '-A', chain, '-m', 'statistic', '--mode', 'random', '--probability', prob, '-j', 'DROP'], 'network: loss rule');
    } else {
      const bin = nfqBinary(ctx);
      if (!existsSync(bin)) throw new PuduError('FAULT_APPLY_FAILED', `network: this kernel has no sch_netem and ${bin} is missing (build it with packages/agent/native/build.sh)`);
      undo.pid = await startNfq(bin, Number(undo.queue), {
        delayMs: p.action === 'delay' ? (parseDurationMs(p.latency ?? '0ms') ?? 0) : 0,
        jitterMs: p.action === 'delay' ? (parseDurationMs(p.jitter ?? '0ms') ?? 0) : 0,
        corruptPct: p.action === 'corrupt' ? (parsePercent(p.corrupt ?? '0%') ?? 0) : 0,
      });
      await runOk(iptables, ['-w', '5', '-A', chain, '-j', 'NFQUEUE', '--queue-num', String(undo.queue), '--queue-bypass'], 'network: queue rule');
    }
    await runOk(iptables, ['-w', '5', '-I', 'OUTPUT', '-o', dev, '-j', chain], 'network: hook the chain');
    return { mechanism: p.action === 'loss' ? 'iptables-statistic' : 'iptables-nfqueue' };
  },
  async revert(undo) {
    const dev = String(undo.dev);
    // mode is null when the agent died between the journal's intent and the apply: undo both paths.
    if (undo.mode !== 'iptables') {
      const q = await run('tc', ['qdisc', 'show', 'dev', dev]);
      if (/qdisc netem 30:/.test(q.stdout)) await runOk('tc', ['qdisc', 'del', 'dev', dev, 'root'], 'network: remove netem');
      if (undo.mode === 'netem') return;
    }
    const chain = String(undo.chain);
    // Which iptables was used is journaled only after apply: after a crash mid-apply try both.
    const bins = undo.mode === 'iptables' ? [String(undo.iptables)] : ['iptables', 'iptables-legacy'];
    for (const bin of bins) {
      const u = { ...undo, iptables: bin };
      // Remove every jump we may have added (a crash could have happened between -I and the journal).
      while ((await ipt(u, ['-D', 'OUTPUT', '-o', dev, '-j', chain])).code === 0);
      await ipt(u, ['-F', chain]);
      await ipt(u, ['-X', chain]);
    }
    await stopHelperUnit(NFQ_NAME);
  },
  async isActive(undo) {
    if (undo.mode === 'netem') return /qdisc netem 30:/.test((await run('tc', ['qdisc', 'show', 'dev', String(undo.dev)])).stdout);
    const hooked = (await ipt(undo, ['-C', 'OUTPUT', '-o', String(undo.dev), '-j', String(undo.chain)])).code === 0;
    if (!hooked) return false;
    // A killed handler means --queue-bypass lets packets through: the delay is gone.
    return undo.pid === null || (await isHelperUnitAlive(NFQ_NAME, undo.pid));
  },
};
