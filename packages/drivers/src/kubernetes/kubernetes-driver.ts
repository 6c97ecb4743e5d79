/**
 * The Kubernetes driver: a fleet is the objects of manifests.ts, created through the
 * official client (@kubernetes/client-node) in the order a NetworkPolicy can protect them
 * (policy and Service first, Pods last), ready when every Pod's readiness probe (the
 * agent's /health) passes, deleted by label so a crash leaves nothing a label cannot find.
 * The VM's address is its Pod IP; there is no host link to check a route through — the
 * fleet's NetworkPolicy is the isolation.
 */
import { CoreV1Api, KubeConfig, NetworkingV1Api, type V1Pod } from '@kubernetes/client-node';
import { PuduError } from '@pudu/schema';
import type { FleetSpec, VmDriver, VmInfo } from '../driver.ts';
import { renderVmFiles } from '../image/vm-config.ts';
import { validateFleetSpec, SANDBOX_LIMITS } from '../validate-spec.ts';
import { configDiskEntries } from '../hypervisor/guest-config.ts';
import { packTar } from '../hypervisor/tar-writer.ts';
import { FLEET_LABEL, MANAGED_BY, fleetManifests, fleetObjectName, vmObjectName, type KubernetesSettings } from './manifests.ts';

const READY_POLL_MS = 1000;
const DEFAULT_READY_TIMEOUT_MS = 300_000;

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
  const message = typeof body === 'string' ? body : body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : (e as Error).message;
  const code = (e as { code?: number }).code;
  return new PuduError(code === 409 ? 'CONFLICT' : code === 403 || code === 401 ? 'FORBIDDEN' : 'VM_START_FAILED', `kubernetes: ${what}: ${message}`, { status: code });
}

function isReady(p: V1Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export class KubernetesDriver implements VmDriver {
  readonly name = 'kubernetes' as const;
  private readonly core: CoreV1Api;
  private readonly net: NetworkingV1Api;
  private readonly fleets = new Map<string, VmInfo[]>();

  constructor(private readonly opts: KubernetesDriverOptions) {
    const kc = opts.kubeConfig ?? defaultKubeConfig();
    this.core = kc.makeApiClient(CoreV1Api);
    this.net = kc.makeApiClient(NetworkingV1Api);
  }

  async createFleet(spec: FleetSpec, o: { onProgress?: (msg: string) => void; signal?: AbortSignal } = {}): Promise<VmInfo[]> {
    // Pods take fractions of a CPU (millicores) like the sandbox.
    validateFleetSpec(spec, SANDBOX_LIMITS);
    if (!this.opts.runtimeClassName) throw new PuduError('BAD_REQUEST', 'kubernetes driver: set a runtimeClassName (e.g. kata-qemu): a privileged container without a VM around it is not a lab');
    if (this.fleets.has(spec.id)) throw new PuduError('CONFLICT', `fleet ${spec.id} already exists`);
    const progress = o.onProgress ?? (() => {});
    const ns = this.opts.namespace;
    const tars = Object.fromEntries(spec.vms.map((vm) => [vm.name, packTar(configDiskEntries(renderVmFiles({
      name: vm.name, services: vm.services, fleet: [], agentPublicKey: spec.agent?.publicKey, fleetId: spec.id, agentOpts: spec.agent?.opts,
    })))]));
    const m = fleetManifests(spec, this.opts, tars);
    this.fleets.set(spec.id, []);
    try {
      await this.net.createNamespacedNetworkPolicy({ namespace: ns, body: m.networkPolicy }).catch((e: unknown) => { throw apiError('create NetworkPolicy', e); });
      await this.core.createNamespacedService({ namespace: ns, body: m.service }).catch((e: unknown) => { throw apiError('create Service', e); });
      for (const cm of m.configMaps) await this.core.createNamespacedConfigMap({ namespace: ns, body: cm }).catch((e: unknown) => { throw apiError('create ConfigMap', e); });
      for (const p of m.pods) await this.core.createNamespacedPod({ namespace: ns, body: p }).catch((e: unknown) => { throw apiError('create Pod', e); });
      progress(`kubernetes: ${m.pods.length} pod(s) created in ${ns} (runtimeClass ${this.opts.runtimeClassName})`);
      const vms = await this.waitReady(spec, o.signal, progress);
      this.fleets.set(spec.id, vms);
      return vms.map((v) => ({ ...v }));
    } catch (e) {
      await this.destroyFleet(spec.id).catch(() => {});
      throw e;
    }
  }

  private async waitReady(spec: FleetSpec, signal: AbortSignal | undefined, progress: (m: string) => void): Promise<VmInfo[]> {
    const deadline = Date.now() + (this.opts.bootTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    const selector = `${FLEET_LABEL}=${fleetObjectName(spec.id)}`;
    for (;;) {
      if (signal?.aborted) throw new PuduError('VM_START_FAILED', 'boot aborted');
      const list = await this.core.listNamespacedPod({ namespace: this.opts.namespace, labelSelector: selector }).catch((e: unknown) => { throw apiError('list Pods', e); });
      const failed = list.items.find((p) => p.status?.phase === 'Failed');
      if (failed) throw new PuduError('VM_START_FAILED', `pod ${failed.metadata?.name} failed: ${failed.status?.message ?? failed.status?.reason ?? 'no reason given'}`);
      const ready = list.items.filter(isReady);
      if (ready.length === spec.vms.length) {
        progress(`kubernetes: ${ready.length} pod(s) ready`);
        return spec.vms.map((vm, index) => {
          const p = ready.find((x) => x.metadata?.name === vmObjectName(spec.id, vm.name));
          return {
            name: vm.name, fleetId: spec.id, index, hostIp: p?.status?.hostIP ?? '', guestIp: p?.status?.podIP ?? '',
            hostLink: '', state: 'ready', driver: this.name, agentPort: this.opts.agentPort,
          };
        });
      }
      if (Date.now() > deadline) {
        const waiting = spec.vms.filter((vm) => !ready.some((x) => x.metadata?.name === vmObjectName(spec.id, vm.name))).map((vm) => vm.name);
        throw new PuduError('VM_BOOT_TIMEOUT', `kubernetes: ${waiting.join(', ')} not ready after ${this.opts.bootTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS} ms`);
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  }

  async destroyFleet(fleetId: string): Promise<void> {
    const ns = this.opts.namespace;
    const name = fleetObjectName(fleetId);
    const labelSelector = `${FLEET_LABEL}=${name},app.kubernetes.io/managed-by=${MANAGED_BY['app.kubernetes.io/managed-by']}`;
    const gone = (e: unknown): void => { if ((e as { code?: number }).code !== 404) throw apiError('delete', e); };
    await this.core.deleteCollectionNamespacedPod({ namespace: ns, labelSelector, gracePeriodSeconds: 0 }).catch(gone);
    await this.core.deleteCollectionNamespacedConfigMap({ namespace: ns, labelSelector }).catch(gone);
    await this.core.deleteNamespacedService({ name, namespace: ns }).catch(gone);
    await this.net.deleteNamespacedNetworkPolicy({ name, namespace: ns }).catch(gone);
    this.fleets.delete(fleetId);
  }

  async listVms(): Promise<VmInfo[]> {
    return [...this.fleets.values()].flat().map((v) => ({ ...v }));
  }

  async consoleLog(fleetId: string, vmName: string, lines = 100): Promise<string> {
    if (!this.fleets.get(fleetId)?.some((v) => v.name === vmName)) throw new PuduError('VM_NOT_FOUND', `no VM ${vmName} in fleet ${fleetId}`);
    return this.core.readNamespacedPodLog({ name: vmObjectName(fleetId, vmName), namespace: this.opts.namespace, tailLines: lines })
      .catch((e: unknown) => { throw apiError('read Pod log', e); });
  }
}
