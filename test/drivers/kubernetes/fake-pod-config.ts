/**
 * What a Pod of the driver asks of the node, read the way the node would: its ConfigMap's
 * config tar unpacked by GNU tar (the Pod's own command does `tar -xf … -C /`), the
 * resources from its container, the VM name and tier from its labels. A tar that would
 * overwrite a file the kubelet bind-mounts is refused as the container would fail on it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VmSpec } from '../../../packages/drivers/src/driver.ts';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; uid?: string; deletionTimestamp?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  binaryData?: Record<string, string>;
}

export interface PodConfig {
  fleetId: string;
  publicKey: string;
  vm: VmSpec;
  /** The agent flags the config sets (PUDU_AGENT_OPTS). */
  agentOpts: string[];
}

const KUBELET_MOUNTS = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf'];

/** Kubernetes quantity suffixes the driver writes: millicores for CPU, binary units for bytes. */
const SUFFIX_SCALE: Record<string, { cpu?: number; mi?: number }> = { '': { cpu: 1, mi: 1 / (1024 * 1024) }, m: { cpu: 1 / 1000 }, Mi: { mi: 1 }, Gi: { mi: 1024 } };

/** A quantity as CPUs (`cpu`) or MiB (`mi`). */
function quantity(q: string, as: 'cpu' | 'mi'): number {
  const digits = /^\d+/.exec(q)?.[0];
  const scale = digits === undefined ? undefined : SUFFIX_SCALE[q.slice(digits.length)]?.[as];
  if (digits === undefined || scale === undefined) throw new Error(`quantity ${q} is not one the stand-in reads`);
  return Number(digits) * scale;
}

export function configOf(pod: KubeObject, objects: Map<string, KubeObject>): PodConfig {
  const spec = pod.spec as { containers: { resources: { limits: Record<string, string> } }[]; volumes?: { configMap?: { name: string } }[] };
  const cmName = spec.volumes?.find((v) => v.configMap)?.configMap?.name;
  const cm = cmName ? objects.get(`configmaps/${pod.metadata.namespace}/${cmName}`) : undefined;
  const tar = cm?.binaryData?.['config.tar'];
  if (!tar) throw new Error(`configmap "${cmName}" not found`);
  const dir = mkdtempSync(join(tmpdir(), 'pudu-k8s-pod-'));
  try {
    execFileSync('tar', ['-xf', '-', '-C', dir], { input: Buffer.from(tar, 'base64') });
    const clash = KUBELET_MOUNTS.find((f) => existsSync(join(dir, f)));
    if (clash) throw new Error(`tar: ${clash}: Cannot unlink: Device or resource busy (the kubelet mounts it)`);
    const env = readFileSync(join(dir, 'etc/default/pudu-agent'), 'utf8');
    const agentOpts = (/PUDU_AGENT_OPTS="([^"]*)"/.exec(env)?.[1] ?? '').split(' ').filter(Boolean);
    const audience = agentOpts[agentOpts.indexOf('--audience') + 1] ?? '';
    const wants = join(dir, 'etc/systemd/system/multi-user.target.wants');
    const services = existsSync(wants) ? readdirSync(wants).filter((f) => readlinkSync(join(wants, f))).map((f) => f.replace(/\.service$/, '')) : [];
    const limits = spec.containers[0]!.resources.limits;
    return {
      fleetId: audience.split('/')[0]!,
      publicKey: readFileSync(join(dir, 'etc/pudu/agent.pub'), 'utf8').trim(),
      agentOpts,
      vm: {
        name: pod.metadata.labels!['pudu.dev/vm']!, tier: pod.metadata.labels!['pudu.dev/tier']!, services,
        vcpus: quantity(limits.cpu!, 'cpu'), memMb: quantity(limits.memory!, 'mi'), diskMb: quantity(limits['ephemeral-storage']!, 'mi'),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
