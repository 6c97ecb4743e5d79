/**
 * Shared setup of the sandbox integration tests: the real guest image (a cache hit after
 * `./pudu assets`), the real ./pudu-agent, root/root SSH with the real OpenSSH client.
 * Tests use VM indexes from a private range so other engineers' fleets are never touched.
 */
import { createAgentClient, generateAgentKeyPair, type AgentClient, type AgentEndpoint } from '@pudu/agent';
import type { VmInfo } from '../../packages/drivers/src/index.ts';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { buildGuestImage, type GuestImage } from '../../packages/drivers/src/index.ts';
import { run } from '../../packages/drivers/src/util/exec.ts';

/** Private VM index range of the driver tests (the agent tests use 200–219 by hand). */
export const TEST_INDEX_RANGE = { minIndex: 40, maxIndex: 99 };
/** The driver tests' fleet signing key: the VMs get the public half, the tests sign with the private one. */
export const TEST_AGENT_KEYS = generateAgentKeyPair();

/** A signed client for a driver-test VM's agent (its Unix socket when the driver has one). */
export function testAgent(fleetId: string, vm: VmInfo, timeoutMs?: number): AgentClient {
  const endpoint: AgentEndpoint = vm.agentSocket ? { kind: 'unix', path: vm.agentSocket } : { kind: 'tcp', host: vm.guestIp, port: vm.agentPort };
  return createAgentClient({ endpoint, signingKey: TEST_AGENT_KEYS.privateKeyPem, audience: `${fleetId}/${vm.name}`, timeoutMs });
}

/** Why the sandbox tests cannot run here, or undefined when they can. */
export function sandboxSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const bin of ['/usr/sbin/debootstrap', '/usr/bin/lxcfs', '/usr/bin/sshpass']) {
    if (!existsSync(bin)) return `${bin} missing (apt-get install debootstrap lxcfs sshpass)`;
  }
  if (!existsSync('pudu-agent')) return './pudu-agent not built (node scripts/build.mjs pudu-agent)';
  return undefined;
}

let image: Promise<GuestImage> | undefined;

/** The guest image with the current ./pudu-agent (built once per test process). */
export function testImage(): Promise<GuestImage> {
  if (!image) {
    // The agent bundle must be current: the image is keyed by its hash.
    const b = spawnSync(process.execPath, ['scripts/build.mjs', 'pudu-agent'], { encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`building pudu-agent failed: ${b.stderr}`);
    image = buildGuestImage({ onProgress: (m) => console.log(`# ${m}`) });
  }
  return image;
}

/** Runs a command in the VM over SSH as root with the password "root". */
export async function sshRoot(ip: string, command: string, opts: { allowFail?: boolean } = {}) {
  return run('sshpass', ['-p', 'root', 'ssh',
    '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
    '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password', '-o', 'ConnectTimeout=5',
    `root@${ip}`, command], { allowFail: opts.allowFail });
}
