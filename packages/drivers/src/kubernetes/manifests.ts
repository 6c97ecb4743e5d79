/**
 * A fleet as Kubernetes objects, as pure data (golden-tested, validated against the
 * Kubernetes schema in tests): per VM a Pod (the guest image with systemd as PID 1, under
 * a RuntimeClass such as Kata Containers so each Pod is a microVM) and a ConfigMap holding
 * its config disk (the hypervisor drivers' files, minus those the kubelet manages); per
 * fleet a headless Service (peers resolve each other by VM name) and a NetworkPolicy that
 * lets the fleet talk only to itself. Nothing outside the fleet connects to a Pod: the
 * server reaches agents, ports and shells through the API server's exec (exec-stream.ts),
 * and the agent listens on a Unix socket, not on the network.
 */
import type { V1ConfigMap, V1NetworkPolicy, V1Pod, V1Service } from '@kubernetes/client-node';
import { agentPath } from '@pudu/schema';
import type { FleetSpec, VmSpec } from '../driver.ts';
import { renderVmFiles, type VmFile } from '../image/vm-config.ts';
import { GUEST_AGENT_SOCKET_DIR, GUEST_AGENT_SOCKET_PATH } from '../image/guest-files.ts';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'pudu' };
export const FLEET_LABEL = 'pudu.dev/fleet';
export const VM_LABEL = 'pudu.dev/vm';
/** The VM's global index (the terminal's `?vm=N`), unique among the namespace's Pudu Pods. */
export const INDEX_LABEL = 'pudu.dev/index';
/** The exact fleet id (the fleet label is a name-safe form of it). */
export const FLEET_ID_ANNOTATION = 'pudu.dev/fleet-id';
/** The container every exec goes to. */
export const VM_CONTAINER = 'vm';
const SSH_PORT = 22;
const CONFIG_MOUNT = '/run/pudu-config';
/** The kubelet bind-mounts these into the container: a tar cannot replace them (EBUSY), and must not try. */
export const KUBELET_MANAGED_FILES = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'] as const;
/** systemd makes the agent's socket directory on the Pod's own /run (the sandbox binds a host one there instead). */
const AGENT_DROP_IN = '/etc/systemd/system/pudu-agent.service.d/kubernetes.conf';

export interface KubernetesSettings {
  namespace: string;
  /** The guest image in a registry (`pudu image export` + push). */
  image: string;
  /** RuntimeClass that makes each Pod a VM (kata-qemu, kata-fc); required unless `allowUnsandboxed`. */
  runtimeClassName?: string;
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

function labels(fleetId: string, vm?: VmSpec, index?: number): Record<string, string> {
  return {
    ...MANAGED_BY, [FLEET_LABEL]: fleetObjectName(fleetId),
    ...(vm ? { [VM_LABEL]: vm.name, 'pudu.dev/tier': vm.tier } : {}),
    ...(index === undefined ? {} : { [INDEX_LABEL]: String(index) }),
  };
}

/**
 * The files laid over the image for one VM: the hypervisor drivers' (services, agent key
 * and audience, where the app-server finds its database by peer name) without the files
 * the kubelet owns; the agent listens on a Unix socket only (exec reaches it; no network does).
 */
export function kubernetesVmFiles(spec: FleetSpec, vm: VmSpec): VmFile[] {
  const files = renderVmFiles({
    name: vm.name, services: vm.services, fleetId: spec.id, agentPublicKey: spec.agent?.publicKey,
    // Peers by name only: cluster DNS (the headless Service) resolves them.
    fleet: spec.vms.map((v) => ({ name: v.name, guestIp: '', services: v.services })),
    agentOpts: ['--listen', `unix:${GUEST_AGENT_SOCKET_PATH}`, ...(spec.agent?.opts ?? [])],
  }).filter((f) => !(KUBELET_MANAGED_FILES as readonly string[]).includes(f.path));
  files.push({ path: AGENT_DROP_IN, content: `[Service]\nRuntimeDirectory=${GUEST_AGENT_SOCKET_DIR.replace(/^\/run\//, '')}\nRuntimeDirectoryMode=0700\n` });
  return files;
}

/** The command that relays stdin/stdout to the VM's agent socket or to a port on its loopback (netcat-openbsd is in the image). */
export function relayCommand(to: { agent: true } | { port: number }): string[] {
  // -N: pass our end of input on as a TCP/Unix shutdown, so the far side sees the request end.
  return 'agent' in to ? ['nc', '-N', '-U', GUEST_AGENT_SOCKET_PATH] : ['nc', '-N', '127.0.0.1', String(to.port)];
}

/** A login shell as root with a terminal type (exec passes no environment of its own). */
export const SHELL_COMMAND = ['/usr/bin/env', 'TERM=xterm-256color', 'HOME=/root', '/bin/bash', '-l'];

/** Kubernetes quantities from the tier: millicores (a sandbox-style 0.5 vCPU is 500m) and MiB. */
export function resourcesOf(vm: VmSpec): { requests: Record<string, string>; limits: Record<string, string> } {
  const cpu = `${Math.round(vm.vcpus * 1000)}m`;
  const memory = `${vm.memMb}Mi`;
  return { requests: { cpu, memory, 'ephemeral-storage': `${vm.diskMb}Mi` }, limits: { cpu, memory, 'ephemeral-storage': `${vm.diskMb}Mi` } };
}

function pod(spec: FleetSpec, vm: VmSpec, s: KubernetesSettings, index: number): V1Pod {
  const name = vmObjectName(spec.id, vm.name);
  const service = fleetObjectName(spec.id);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: s.namespace, labels: labels(spec.id, vm, index), annotations: { [FLEET_ID_ANNOTATION]: spec.id } },
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
        name: VM_CONTAINER,
        image: s.image,
        // The config disk's files over the image's root, then systemd, as the hypervisor initramfs does.
        command: ['/bin/sh', '-c', `tar -xf ${CONFIG_MOUNT}/config.tar -C / && exec /lib/systemd/systemd`],
        env: [{ name: 'container', value: 'kata' }],
        ports: [{ name: 'ssh', containerPort: SSH_PORT }],
        resources: resourcesOf(vm),
        // systemd as PID 1 needs it; the RuntimeClass's microVM is the boundary, not the container.
        securityContext: { privileged: true },
        // The agent answers /health on its socket once it runs (the probe runs inside, like exec).
        readinessProbe: { exec: { command: ['curl', '-sf', '-o', '/dev/null', '--unix-socket', GUEST_AGENT_SOCKET_PATH, `http://agent${agentPath('health')}`] }, periodSeconds: 2, timeoutSeconds: 2 },
        volumeMounts: [{ name: 'config', mountPath: CONFIG_MOUNT, readOnly: true }],
      }],
      volumes: [{ name: 'config', configMap: { name } }],
    },
  };
}

/** Every object of a fleet; `configTars[vm]` is the VM's config-disk tar, `indexes[vm]` its global index. */
export function fleetManifests(spec: FleetSpec, s: KubernetesSettings, configTars: Record<string, Buffer>, indexes: Record<string, number>): FleetManifests {
  const service = fleetObjectName(spec.id);
  const fleetSelector = { [FLEET_LABEL]: service };
  return {
    configMaps: spec.vms.map((vm) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: vmObjectName(spec.id, vm.name), namespace: s.namespace, labels: labels(spec.id, vm) },
      binaryData: { 'config.tar': (configTars[vm.name] ?? Buffer.alloc(0)).toString('base64') },
    })),
    pods: spec.vms.map((vm) => pod(spec, vm, s, indexes[vm.name] ?? 0)),
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: service, namespace: s.namespace, labels: labels(spec.id) },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: fleetSelector,
        ports: [{ name: 'ssh', protocol: 'TCP', port: SSH_PORT, targetPort: SSH_PORT }],
      },
    },
    networkPolicy: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: service, namespace: s.namespace, labels: labels(spec.id) },
      spec: {
        podSelector: { matchLabels: fleetSelector },
        policyTypes: ['Ingress', 'Egress'],
        // Only the fleet: the server never connects to a Pod (exec goes through the API server and kubelet).
        ingress: [{ _from: [{ podSelector: { matchLabels: fleetSelector } }] }],
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
