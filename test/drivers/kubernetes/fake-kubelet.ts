/**
 * What runs the stand-in's Pods. `hostKubelet` moves Pods to Running/Ready (or Failed) on
 * the next list and runs exec'd commands as host processes (for the exec protocol's own
 * tests). `sandboxKubelet` makes each fleet's Pods real Pudu sandbox VMs — systemd, the
 * agent, sshd, the tier's services, from the same guest image — and runs exec'd commands
 * inside them with nsenter, so the driver, the runner and the terminal meet a real guest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync, readdirSync } from 'node:fs';
import type { VmDriver, VmInfo, VmSpec } from '../../../packages/drivers/src/driver.ts';
import type { ExecProcess, ExecRequest } from './fake-exec.ts';
import { configOf, type KubeObject } from './fake-pod-config.ts';

export interface FakeKubelet {
  /** Moves the Pods on (Pending → Running/Ready or Failed); `objects` holds every stored object. */
  sync(pods: KubeObject[], objects: Map<string, KubeObject>): Promise<void>;
  exec(pod: KubeObject, r: ExecRequest): Promise<ExecProcess>;
  /** The Pod was deleted. */
  remove(pod: KubeObject): Promise<void>;
  close(): Promise<void>;
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** A child process as an ExecProcess; with a tty, `script` gives it a terminal and `stty` sizes it. */
function processOf(child: ChildProcess, tty: boolean): ExecProcess {
  const exit = new Promise<{ code: number } | { error: string }>((res) => {
    child.once('error', (e) => res({ error: `failed to exec in container: ${e.message}` }));
    child.once('exit', (code, signal) => res({ code: code ?? (signal ? 128 + 9 : 1) }));
  });
  return {
    stdin: child.stdin!, stdout: child.stdout!, ...(tty ? {} : { stderr: child.stderr! }),
    resize: (cols, rows) => {
      if (!tty || !child.pid) return;
      const pid = child.pid;
      // The first size can come before `script` has made the terminal: look again for a while.
      const attempt = (left: number): void => {
        const pts = ptyOf(pid);
        // SIGWINCH reaches the shell through the terminal, as with a real resize.
        if (pts) spawn('stty', ['-F', pts, 'cols', String(cols), 'rows', String(rows)], { stdio: 'ignore' }).on('error', () => undefined);
        else if (left > 0 && child.exitCode === null) setTimeout(() => attempt(left - 1), 50);
      };
      attempt(40);
    },
    exit,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * The pseudo-terminal of the first descendant of `pid` whose stdin is one (the shell under
 * `script`), as that process's own fd: the VM has its own devpts, so /dev/pts/N on the host
 * would be someone else's terminal.
 */
function ptyOf(pid: number): string | undefined {
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    try {
      if (readlinkSync(`/proc/${p}/fd/0`).startsWith('/dev/pts/')) return `/proc/${p}/fd/0`;
    } catch { /* gone */ }
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) {
        queue.push(...readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      }
    } catch { /* gone */ }
  }
  return undefined;
}

/** Runs `command` through `prefix` (e.g. nsenter); with a tty under `script`, whose pty the shell sees. */
function start(prefix: string[], r: ExecRequest, initialSize?: { cols: number; rows: number }): ChildProcess {
  const argv = r.tty
    ? [...prefix, 'script', '-qfec', `${initialSize ? `stty cols ${initialSize.cols} rows ${initialSize.rows}; ` : ''}exec ${r.command.map(quote).join(' ')}`, '/dev/null']
    : [...prefix, ...r.command];
  return spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
}

export type PodFate = 'ready' | 'fail' | 'pending';

/** Pods become ready (or fail) on the next list; exec runs on this host (the protocol's own tests). */
export function hostKubelet(fate: () => PodFate): FakeKubelet {
  let nextIp = 10;
  return {
    async sync(pods) {
      for (const p of pods) {
        if (p.status?.phase !== 'Pending' || fate() === 'pending') continue;
        p.status = fate() === 'fail'
          ? { phase: 'Failed', reason: 'Error', message: 'container vm exited 1' }
          : { phase: 'Running', podIP: `10.244.0.${nextIp++}`, hostIP: '192.0.2.10', conditions: [{ type: 'Ready', status: 'True' }] };
      }
    },
    async exec(_pod, r) {
      return processOf(start([], r), r.tty);
    },
    async remove() {},
    async close() {},
  };
}

/**
 * Each fleet's Pods become one sandbox fleet, booted when its Pods are first listed (the
 * driver lists only after creating all of them), from what the Pods carry: the VM name,
 * tier and resources from the Pod, services, agent key and audience from its config tar.
 */
export function sandboxKubelet(driver: VmDriver): FakeKubelet {
  const vms = new Map<string, VmInfo>();
  const booting = new Map<string, Promise<void>>();
  const podKey = (p: KubeObject): string => `${p.metadata.namespace}/${p.metadata.name}`;
  const boot = async (fleetPods: KubeObject[], objects: Map<string, KubeObject>): Promise<void> => {
    const configs = fleetPods.map((p) => configOf(p, objects));
    const fleetId = configs[0]!.fleetId;
    const specs: VmSpec[] = configs.map((c) => c.vm);
    try {
      const infos = await driver.createFleet({ id: fleetId, vms: specs, agent: { publicKey: configs[0]!.publicKey } });
      for (const p of fleetPods) {
        const info = infos.find((i) => i.name === p.metadata.labels?.['pudu.dev/vm'])!;
        vms.set(podKey(p), info);
        p.status = { phase: 'Running', podIP: info.guestIp, hostIP: info.hostIp, conditions: [{ type: 'Ready', status: 'True' }] };
      }
    } catch (e) {
      for (const p of fleetPods) p.status = { phase: 'Failed', reason: 'Error', message: (e as Error).message };
    }
  };
  return {
    async sync(pods, objects) {
      const pending = pods.filter((p) => p.status?.phase === 'Pending' && !booting.has(podKey(p)));
      const byFleet = new Map<string, KubeObject[]>();
      for (const p of pending) {
        const f = p.metadata.labels?.['pudu.dev/fleet'] ?? '';
        byFleet.set(f, [...(byFleet.get(f) ?? []), p]);
      }
      for (const group of byFleet.values()) {
        const b = boot(group, objects);
        for (const p of group) booting.set(podKey(p), b);
      }
    },
    async exec(pod, r) {
      const vm = vms.get(podKey(pod));
      if (!vm?.pid) throw new Error(`container ${r.container} is not running`);
      return processOf(start(['nsenter', '-t', String(vm.pid), '-a', '--'], r), r.tty);
    },
    async remove(pod) {
      const vm = vms.get(podKey(pod));
      await booting.get(podKey(pod));
      booting.delete(podKey(pod));
      if (!vm) return;
      vms.delete(podKey(pod));
      // The sandbox fleet goes when its last Pod goes.
      if (![...vms.values()].some((v) => v.fleetId === vm.fleetId)) await driver.destroyFleet(vm.fleetId);
    },
    async close() {
      await Promise.allSettled([...booting.values()]);
      for (const id of new Set([...vms.values()].map((v) => v.fleetId))) await driver.destroyFleet(id).catch(() => undefined);
      vms.clear();
    },
  };
}
