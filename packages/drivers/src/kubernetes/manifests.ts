/**
 * A fleet as Kubernetes objects, as pure data (golden-tested, validated against the
 * Kubernetes schema in tests): per VM a Pod (the guest image with systemd as PID 1, under
 * a RuntimeClass such as Kata Containers so each Pod is a microVM) and a ConfigMap holding
 * its config disk (the same tar the hypervisor drivers boot with); per fleet a headless
 * Service (peers resolve each other by VM name) and a NetworkPolicy that lets the fleet
 * talk only to itself and be reached only from the Pudu control plane.
 */
import type { V1ConfigMap, V1NetworkPolicy, V1Pod, V1Service } from '@kubernetes/client-node';
import { agentPath } from '@pudu/schema';
import type { FleetSpec, VmSpec } from '../driver.ts';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'pudu' };
export const FLEET_LABEL = 'pudu.dev/fleet';
export const VM_LABEL = 'pudu.dev/vm';
/** Pods of the Pudu server carry this label; only they may reach a fleet's agents and sshd. */
export const CONTROL_PLANE_LABELS = { 'app.kubernetes.io/name': 'pudu-server' };
const SSH_PORT = 22;
const CONFIG_MOUNT = '/run/pudu-config';

export interface KubernetesSettings {
  namespace: string;
  /** The guest image in a registry (`pudu image export` + push). */
  image: string;
  /** RuntimeClass that makes each Pod a VM (kata-qemu, kata-fc); required unless `allowUnsandboxed`. */
  runtimeClassName?: string;
  agentPort: number;
  /** Namespace the Pudu server runs in (for the NetworkPolicy's control-plane rule). */
  controlPlaneNamespace: string;
  imagePullSecret?: string;
}

export interface FleetManifests {
  configMaps: V1ConfigMap[];
  pods: V1Pod[];
  service: V1Service;
  networkPolicy: V1NetworkPolicy;
}

/** Object names: `pudu-<fleet>` and `pudu-<fleet>-<vm>` (fleet ids are label-safe, ≤ 64; names are cut to 63 by the caller's id rules). */
export function fleetObjectName(fleetId: string): string {
  return `pudu-${fleetId.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63).replace(/-+$/, '');
}

export function vmObjectName(fleetId: string, vm: string): string {
  return `${fleetObjectName(fleetId)}-${vm}`.slice(0, 63).replace(/-+$/, '');
}

function labels(fleetId: string, vm?: VmSpec): Record<string, string> {
  return { ...MANAGED_BY, [FLEET_LABEL]: fleetObjectName(fleetId), ...(vm ? { [VM_LABEL]: vm.name, 'pudu.dev/tier': vm.tier } : {}) };
}

/** Kubernetes quantities from the tier: millicores (a sandbox-style 0.5 vCPU is 500m) and MiB. */
export function resourcesOf(vm: VmSpec): { requests: Record<string, string>; limits: Record<string, string> } {
  const cpu = `${Math.round(vm.vcpus * 1000)}m`;
  const memory = `${vm.memMb}Mi`;
  return { requests: { cpu, memory, 'ephemeral-storage': `${vm.diskMb}Mi` }, limits: { cpu, memory, 'ephemeral-storage': `${vm.diskMb}Mi` } };
}

function pod(spec: FleetSpec, vm: VmSpec, s: KubernetesSettings): V1Pod {
  const name = vmObjectName(spec.id, vm.name);
  const service = fleetObjectName(spec.id);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: s.namespace, labels: labels(spec.id, vm) },
    spec: {
      ...(s.runtimeClassName ? { runtimeClassName: s.runtimeClassName } : {}),
      hostname: vm.name,
      subdomain: service,
      // Peers resolve by bare VM name, as on the other drivers: db-0 → db-0.<service>.<ns>.svc.
      dnsConfig: { searches: [`${service}.${s.namespace}.svc.cluster.local`] },
      enableServiceLinks: false,
      automountServiceAccountToken: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 10,
      ...(s.imagePullSecret ? { imagePullSecrets: [{ name: s.imagePullSecret }] } : {}),
      containers: [{
        name: 'vm',
        image: s.image,
        // The config disk's files over the image's root, then systemd, as the hypervisor initramfs does.
        command: ['/bin/sh', '-c', `tar -xf ${CONFIG_MOUNT}/config.tar -C / && exec /lib/systemd/systemd`],
        env: [{ name: 'container', value: 'kata' }],
        ports: [{ name: 'agent', containerPort: s.agentPort }, { name: 'ssh', containerPort: SSH_PORT }],
        resources: resourcesOf(vm),
        // systemd as PID 1 needs it; the RuntimeClass's microVM is the boundary, not the container.
        securityContext: { privileged: true },
        readinessProbe: { httpGet: { path: agentPath('health'), port: s.agentPort }, periodSeconds: 2, failureThreshold: 150 },
        volumeMounts: [{ name: 'config', mountPath: CONFIG_MOUNT, readOnly: true }],
      }],
      volumes: [{ name: 'config', configMap: { name } }],
    },
  };
}

/** Every object of a fleet; `configTars[vm]` is the VM's config-disk tar. */
export function fleetManifests(spec: FleetSpec, s: KubernetesSettings, configTars: Record<string, Buffer>): FleetManifests {
  const service = fleetObjectName(spec.id);
  const fleetSelector = { [FLEET_LABEL]: service };
  const ports = [{ protocol: 'TCP', port: s.agentPort }, { protocol: 'TCP', port: SSH_PORT }];
  return {
    configMaps: spec.vms.map((vm) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: vmObjectName(spec.id, vm.name), namespace: s.namespace, labels: labels(spec.id, vm) },
      binaryData: { 'config.tar': (configTars[vm.name] ?? Buffer.alloc(0)).toString('base64') },
    })),
    pods: spec.vms.map((vm) => pod(spec, vm, s)),
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: service, namespace: s.namespace, labels: labels(spec.id) },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: fleetSelector,
        ports: [{ name: 'agent', protocol: 'TCP', port: s.agentPort, targetPort: s.agentPort }, { name: 'ssh', protocol: 'TCP', port: SSH_PORT, targetPort: SSH_PORT }],
      },
    },
    networkPolicy: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: service, namespace: s.namespace, labels: labels(spec.id) },
      spec: {
        podSelector: { matchLabels: fleetSelector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { _from: [{ podSelector: { matchLabels: fleetSelector } }] },
          {
            _from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': s.controlPlaneNamespace } }, podSelector: { matchLabels: CONTROL_PLANE_LABELS } }],
            ports,
          },
        ],
        egress: [
          { to: [{ podSelector: { matchLabels: fleetSelector } }] },
          // DNS only, so peers resolve by name; nothing else leaves the fleet.
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
          },
        ],
      },
    },
  };
}
