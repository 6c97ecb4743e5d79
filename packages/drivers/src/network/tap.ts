/**
 * TAP devices for the QEMU and Firecracker drivers: one per VM (`pudu-t<N>` from
 * hostNamesForIndex), host end of the VM's /30. Their firewall (firewall.ts) and route
 * check (route-check.ts) are the sandbox's.
 */
import { PuduError } from '@pudu/schema';
import { run } from '../util/exec.ts';
import { disableLinkIpv6 } from './ipv6.ts';

/** Creates TAP `name` with `hostCidr` (e.g. 172.16.5.1/30), IPv6 off, and brings it up; removes it again if a step fails. */
export async function createTap(name: string, hostCidr: string): Promise<void> {
  await run('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap'], { errorCode: 'VM_START_FAILED' });
  try {
    disableLinkIpv6(name);
    await run('ip', ['addr', 'add', hostCidr, 'dev', name], { errorCode: 'VM_START_FAILED' });
    await run('ip', ['link', 'set', 'dev', name, 'up'], { errorCode: 'VM_START_FAILED' });
  } catch (e) {
    await deleteTap(name);
    throw e;
  }
}

/** Deletes TAP `name`; a TAP that is already gone is not an error. */
export async function deleteTap(name: string): Promise<void> {
  const r = await run('ip', ['link', 'del', 'dev', name], { allowFail: true });
  if (r.code !== 0 && !/Cannot find device|does not exist/.test(r.stderr)) {
    throw new PuduError('INTERNAL', `ip link del ${name} failed: ${r.stderr.trim()}`);
  }
}

/** Links whose names start with `prefix` (default: Pudu's TAP prefix). */
export async function listTaps(prefix = 'pudu-t'): Promise<string[]> {
  const r = await run('ip', ['-j', '-d', 'link', 'show', 'type', 'tun'], { allowFail: true });
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout || '[]') as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.startsWith(prefix));
}
