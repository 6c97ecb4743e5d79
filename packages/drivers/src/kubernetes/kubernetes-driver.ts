/**
 * The Kubernetes driver: a fleet is the objects of manifests.ts, created through the
 * official client (@kubernetes/client-node) in the order a NetworkPolicy can protect them
 * (policy and Service first, Pods last), ready when every Pod's readiness probe (the
 * agent's /health on its socket) passes, deleted by label so a crash leaves nothing a
 * label cannot find. The driver keeps no state of its own: the cluster is the record, so
 * any server replica that becomes leader adopts the fleets as they are.
 *
 * There is no host link to a Pod: the agent, http checks and terminals go through the API
 * server's exec (exec-stream.ts). The signed agent channel means that path need not be
 * trusted; the fleet's NetworkPolicy keeps everything else out.
 */
import { CoreV1Api, KubeConfig, NetworkingV1Api, type V1Pod } from '@kubernetes/client-node';
import type { Duplex } from 'node:stream';
import { PuduError } from '@pudu/schema';
import type { FleetSpec, VmDriver, VmInfo, VmShell, VmSpec, VmStreamTarget } from '../driver.ts';
import { validateFleetSpec, SANDBOX_LIMITS } from '../validate-spec.ts';
import { configDiskEntries } from '../hypervisor/guest-config.ts';
import { packTar } from '../hypervisor/tar-writer.ts';
import { AGENT_PORT } from '../image/recipe.ts';
import { openExecStream } from './exec-stream.ts';
import {
  FLEET_ID_ANNOTATION, FLEET_LABEL, INDEX_LABEL, MANAGED_BY, SHELL_COMMAND, VM_CONTAINER, VM_LABEL,
  fleetManifests, fleetObjectName, kubernetesVmFiles, relayCommand, vmObjectName, type KubernetesSettings,
} from './manifests.ts';

const READY_POLL_MS = 1000;
const DEFAULT_READY_TIMEOUT_MS = 300_000;
const MANAGED_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY['app.kubernetes.io/managed-by']}`;

export interface KubernetesDriverOptions extends KubernetesSettings {
  /** Cluster access; default: in-cluster service account, else ~/.kube/config. */
  kubeConfig?: KubeConfig;
  bootTimeoutMs?: number;
  log?: (msg: string) => void;
}

/** Loads the cluster config the way kubectl would (in-cluster first). */
export function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

function apiError(what: string, e: unknown): PuduError {
  const body = (e as { body?: unknown }).body;
  const parsed = typeof body === 'string' ? (() => {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return body;
    }
  })() : body;
  const message = parsed && typeof parsed === 'object' && 'message' in parsed ? String((parsed as { message: unknown }).message) : typeof parsed === 'string' ? parsed : (e as Error).message;
  const code = (e as { code?: number }).code;
  return new PuduError(code === 409 ? 'CONFLICT' : code === 403 || code === 401 ? 'FORBIDDEN' : 'VM_START_FAILED', `kubernetes: ${what}: ${message}`, { status: code });
}

const notFound = (e: unknown): boolean => (e as { code?: number }).code === 404;

function isReady(p: V1Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function vmInfoOf(p: V1Pod, state: VmInfo['state']): VmInfo {
  return {
    name: p.metadata?.labels?.[VM_LABEL] ?? '', fleetId: p.metadata?.annotations?.[FLEET_ID_ANNOTATION] ?? '', index: Number(p.metadata?.labels?.[INDEX_LABEL] ?? -1),
    hostIp: p.status?.hostIP ?? '', guestIp: p.status?.podIP ?? '', hostLink: '', state, driver: 'kubernetes', agentPort: AGENT_PORT,
  };
}

export class KubernetesDriver implements VmDriver {
  readonly name = 'kubernetes' as const;
  private readonly kc: KubeConfig;
  private readonly core: CoreV1Api;
  private readonly net: NetworkingV1Api;
  /** Index allocation and Pod creation of one fleet at a time, so two fleets never draw the same index. */
  private creating: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: KubernetesDriverOptions) {
    this.kc = opts.kubeConfig ?? defaultKubeConfig();
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.net = this.kc.makeApiClient(NetworkingV1Api);
  }

  private get ns(): string {
    return this.opts.namespace;
  }

  async createFleet(spec: FleetSpec, o: { onProgress?: (msg: string) => void; signal?: AbortSignal } = {}): Promise<VmInfo[]> {
    // Pods take fractions of a CPU (millicores) like the sandbox.
    validateFleetSpec(spec, SANDBOX_LIMITS);
    if (!this.opts.runtimeClassName) throw new PuduError('BAD_REQUEST', 'kubernetes driver: set a runtimeClassName (e.g. kata-qemu): a privileged container without a VM around it is not a lab');
    const progress = o.onProgress ?? (() => {});
    try {
      await this.serially(async () => {
        const indexes = await this.freeIndexes(spec.vms);
        const m = fleetManifests(spec, this.opts, this.configTars(spec, spec.vms), indexes);
        await this.net.createNamespacedNetworkPolicy({ namespace: this.ns, body: m.networkPolicy }).catch((e: unknown) => { throw apiError('create NetworkPolicy', e); });
        await this.core.createNamespacedService({ namespace: this.ns, body: m.service }).catch((e: unknown) => { throw apiError('create Service', e); });
        for (const cm of m.configMaps) await this.core.createNamespacedConfigMap({ namespace: this.ns, body: cm }).catch((e: unknown) => { throw apiError('create ConfigMap', e); });
        for (const p of m.pods) await this.core.createNamespacedPod({ namespace: this.ns, body: p }).catch((e: unknown) => { throw apiError('create Pod', e); });
        progress(`kubernetes: ${m.pods.length} pod(s) created in ${this.ns} (runtimeClass ${this.opts.runtimeClassName})`);
      });
      return await this.waitReady(spec, o.signal, progress);
    } catch (e) {
      // A name already taken belongs to someone else: never delete what this call did not create.
      if (!(e instanceof PuduError && e.code === 'CONFLICT')) await this.destroyFleet(spec.id).catch(() => {});
      throw e;
    }
  }

  /**
   * Takes over a fleet after a restart or a change of leader: Pods still running are kept
   * as they are; those gone or failed are created again from the spec (same name and
   * index), as are a missing Service or NetworkPolicy.
   */
  async adoptFleet(spec: FleetSpec, o: { onProgress?: (msg: string) => void; signal?: AbortSignal } = {}): Promise<{ vms: VmInfo[]; replaced: string[] }> {
    const pods = await this.fleetPods(spec.id);
    const replaced: string[] = [];
    await this.serially(async () => {
      const keep = new Map<string, number>();
      for (const vm of spec.vms) {
        const p = pods.find((x) => x.metadata?.labels?.[VM_LABEL] === vm.name);
        if (p && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded' && !p.metadata?.deletionTimestamp) keep.set(vm.name, Number(p.metadata?.labels?.[INDEX_LABEL]));
        else replaced.push(vm.name);
      }
      const gone = spec.vms.filter((v) => replaced.includes(v.name));
      const fresh = await this.freeIndexes(gone);
      const m = fleetManifests(spec, this.opts, this.configTars(spec, gone), { ...fresh, ...Object.fromEntries(keep) });
      const name = fleetObjectName(spec.id);
      await this.net.readNamespacedNetworkPolicy({ name, namespace: this.ns }).catch(async (e: unknown) => {
        if (!notFound(e)) throw apiError('read NetworkPolicy', e);
        await this.net.createNamespacedNetworkPolicy({ namespace: this.ns, body: m.networkPolicy });
      });
      await this.core.readNamespacedService({ name, namespace: this.ns }).catch(async (e: unknown) => {
        if (!notFound(e)) throw apiError('read Service', e);
        await this.core.createNamespacedService({ namespace: this.ns, body: m.service });
      });
      for (const vm of gone) {
        const objName = vmObjectName(spec.id, vm.name);
        await this.core.deleteNamespacedPod({ name: objName, namespace: this.ns, gracePeriodSeconds: 0 }).catch((e: unknown) => { if (!notFound(e)) throw apiError('delete Pod', e); });
        await this.core.deleteNamespacedConfigMap({ name: objName, namespace: this.ns }).catch((e: unknown) => { if (!notFound(e)) throw apiError('delete ConfigMap', e); });
        await this.waitGone(objName);
        await this.core.createNamespacedConfigMap({ namespace: this.ns, body: m.configMaps.find((c) => c.metadata?.name === objName)! }).catch((e: unknown) => { throw apiError('create ConfigMap', e); });
        await this.core.createNamespacedPod({ namespace: this.ns, body: m.pods.find((p) => p.metadata?.name === objName)! }).catch((e: unknown) => { throw apiError('create Pod', e); });
      }
    });
    if (replaced.length) o.onProgress?.(`kubernetes: re-created ${replaced.join(', ')}`);
    return { vms: await this.waitReady(spec, o.signal, o.onProgress ?? (() => {})), replaced };
  }

  private configTars(spec: FleetSpec, vms: VmSpec[]): Record<string, Buffer> {
    return Object.fromEntries(vms.map((vm) => [vm.name, packTar(configDiskEntries(kubernetesVmFiles(spec, vm)))]));
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.creating.then(fn, fn);
    this.creating = next.catch(() => undefined);
    return next;
  }

  /** The lowest indexes no Pudu Pod in the namespace holds (terminating ones still count). */
  private async freeIndexes(vms: VmSpec[]): Promise<Record<string, number>> {
    const list = await this.core.listNamespacedPod({ namespace: this.ns, labelSelector: MANAGED_SELECTOR }).catch((e: unknown) => { throw apiError('list Pods', e); });
    const taken = new Set(list.items.map((p) => Number(p.metadata?.labels?.[INDEX_LABEL])).filter(Number.isInteger));
    const out: Record<string, number> = {};
    let next = 0;
    for (const vm of vms) {
      while (taken.has(next)) next++;
      out[vm.name] = next;
      taken.add(next);
    }
    return out;
  }

  private async fleetPods(fleetId: string): Promise<V1Pod[]> {
    const list = await this.core.listNamespacedPod({ namespace: this.ns, labelSelector: `${FLEET_LABEL}=${fleetObjectName(fleetId)},${MANAGED_SELECTOR}` })
      .catch((e: unknown) => { throw apiError('list Pods', e); });
    return list.items;
  }

  private async waitGone(podName: string): Promise<void> {
    const deadline = Date.now() + (this.opts.bootTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    while (Date.now() < deadline) {
      const gone = await this.core.readNamespacedPod({ name: podName, namespace: this.ns }).then(() => false, (e: unknown) => notFound(e));
      if (gone) return;
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
    throw new PuduError('VM_START_FAILED', `kubernetes: pod ${podName} is still terminating`);
  }

  private async waitReady(spec: FleetSpec, signal: AbortSignal | undefined, progress: (m: string) => void): Promise<VmInfo[]> {
    const timeoutMs = this.opts.bootTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted) throw new PuduError('VM_START_FAILED', 'boot aborted');
      const pods = await this.fleetPods(spec.id);
      const failed = pods.find((p) => p.status?.phase === 'Failed');
      if (failed) throw new PuduError('VM_START_FAILED', `pod ${failed.metadata?.name} failed: ${failed.status?.message ?? failed.status?.reason ?? 'no reason given'}`);
      const ready = pods.filter(isReady);
      const podOf = (vm: VmSpec): V1Pod | undefined => ready.find((x) => x.metadata?.name === vmObjectName(spec.id, vm.name));
      if (spec.vms.every(podOf)) {
        progress(`kubernetes: ${ready.length} pod(s) ready`);
        return spec.vms.map((vm) => vmInfoOf(podOf(vm)!, 'ready'));
      }
      if (Date.now() > deadline) {
        const waiting = spec.vms.filter((vm) => !podOf(vm)).map((vm) => vm.name);
        throw new PuduError('VM_BOOT_TIMEOUT', `kubernetes: ${waiting.join(', ')} not ready after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  }

  async destroyFleet(fleetId: string): Promise<void> {
    const name = fleetObjectName(fleetId);
    const labelSelector = `${FLEET_LABEL}=${name},${MANAGED_SELECTOR}`;
    const gone = (e: unknown): void => { if (!notFound(e)) throw apiError('delete', e); };
    await this.core.deleteCollectionNamespacedPod({ namespace: this.ns, labelSelector, gracePeriodSeconds: 0 }).catch(gone);
    await this.core.deleteCollectionNamespacedConfigMap({ namespace: this.ns, labelSelector }).catch(gone);
    await this.core.deleteNamespacedService({ name, namespace: this.ns }).catch(gone);
    await this.net.deleteNamespacedNetworkPolicy({ name, namespace: this.ns }).catch(gone);
  }

  /** Every Pudu Pod in the namespace, as the cluster sees it now. */
  async listVms(): Promise<VmInfo[]> {
    const list = await this.core.listNamespacedPod({ namespace: this.ns, labelSelector: MANAGED_SELECTOR }).catch((e: unknown) => { throw apiError('list Pods', e); });
    return list.items.map((p) => vmInfoOf(p, isReady(p) ? 'ready' : p.status?.phase === 'Failed' ? 'failed' : 'booting'));
  }

  async consoleLog(fleetId: string, vmName: string, lines = 100): Promise<string> {
    return this.core.readNamespacedPodLog({ name: vmObjectName(fleetId, vmName), namespace: this.ns, container: VM_CONTAINER, tailLines: lines })
      .catch((e: unknown) => {
        if (notFound(e)) throw new PuduError('VM_NOT_FOUND', `no VM ${vmName} in fleet ${fleetId}`);
        throw apiError('read Pod log', e);
      });
  }

  /** A relay in the Pod to its agent's socket or a port on its loopback, over exec. */
  openStream(fleetId: string, vmName: string, to: VmStreamTarget): Promise<Duplex> {
    return openExecStream(this.kc, { namespace: this.ns, pod: vmObjectName(fleetId, vmName), container: VM_CONTAINER, command: relayCommand(to) });
  }

  /** A login shell as root over an exec with a terminal (what `kubectl exec -it … bash -l` gives). */
  async openShell(fleetId: string, vmName: string, size: { cols: number; rows: number }): Promise<VmShell> {
    const s = await openExecStream(this.kc, { namespace: this.ns, pod: vmObjectName(fleetId, vmName), container: VM_CONTAINER, command: SHELL_COMMAND, tty: size });
    const closers: (() => void)[] = [];
    let closed = false;
    const end = (): void => {
      if (closed) return;
      closed = true;
      for (const fn of closers) fn();
    };
    s.on('close', end);
    s.on('end', end);
    s.on('error', (e: Error) => this.opts.log?.(`kubernetes: shell on ${vmName} of ${fleetId}: ${e.message}`));
    return {
      write: (d) => void s.write(d),
      resize: (cols, rows) => s.resize(cols, rows),
      onData: (fn) => void s.on('data', fn),
      onClose: (fn) => void closers.push(fn),
      close: () => void s.destroy(),
    };
  }
}
