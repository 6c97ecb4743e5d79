/**
 * TAP devices for the QEMU and Firecracker drivers: one per VM (`pudu-t<N>` from
 * hostNamesForIndex), host end of the VM's /30, and the route check that must pass
 * before Pudu sends any traffic to a guest address.
 */
import { PuduError } from '@pudu/schema';
import { hostCommand as run } from '../qemu/host-command.ts';

/** Creates TAP `name` with `hostCidr` (e.g. 172.16.5.1/30) and brings it up; removes it again if a step fails. */
export async function createTap(name: string, hostCidr: string): Promise<void> {
  await run('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap'], { errorCode: 'VM_START_FAILED' });
  try {
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

/**
 * Throws NETWORK_UNSAFE unless the kernel routes `ip` through `link`: a VM address that
 * resolves to any other device (a stale route, an overlapping LAN) must never get Pudu's traffic.
 */
export async function assertRouteVia(ip: string, link: string): Promise<void> {
  const r = await run('ip', ['-j', 'route', 'get', ip], { allowFail: true });
  const dev = r.code === 0 ? (JSON.parse(r.stdout || '[]') as { dev?: string }[])[0]?.dev : undefined;
  if (dev !== link) {
    throw new PuduError('NETWORK_UNSAFE', `route to ${ip} goes through ${dev ?? 'nothing'}, not ${link}: refusing to send traffic`, { ip, link, dev });
  }
}

/** iptables chain names are limited to 28 characters. */
const CHAIN_MAX_CHARS = 28;

function fleetChains(fleetId: string): { fwd: string; input: string } {
  const fwd = `pudu-fwd-${fleetId}`;
  const input = `pudu-in-${fleetId}`;
  if (fwd.length > CHAIN_MAX_CHARS) throw new PuduError('BAD_REQUEST', `fleet id "${fleetId}" too long for an iptables chain (max ${CHAIN_MAX_CHARS - 9} characters)`);
  return { fwd, input };
}

async function iptables(args: string[], allowFail = false): Promise<{ code: number; stderr: string }> {
  return run('iptables', ['-w', '5', ...args], { allowFail, errorCode: 'NETWORK_UNSAFE' });
}

/**
 * Confines a fleet's links: forwarding is switched on only for these links (never the
 * host-wide ip_forward), and what they forward may only go to another link of the same
 * fleet; from the guests to the host itself only replies to the host's own connections
 * (agent control path, SSH) are accepted. Idempotent: an existing fleet chain is rebuilt.
 */
export async function isolateFleetLinks(fleetId: string, links: string[]): Promise<void> {
  const { fwd, input } = fleetChains(fleetId);
  await removeFleetIsolation(fleetId);
  for (const chain of [fwd, input]) await iptables(['-N', chain]);
  for (const peer of links) await iptables(['-A', fwd, '-o', peer, '-j', 'ACCEPT']);
  await iptables(['-A', fwd, '-j', 'DROP']);
  await iptables(['-A', input, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT']);
  await iptables(['-A', input, '-p', 'icmp', '-j', 'ACCEPT']);
  await iptables(['-A', input, '-j', 'DROP']);
  for (const link of links) {
    await iptables(['-I', 'FORWARD', '-i', link, '-j', fwd]);
    await iptables(['-I', 'INPUT', '-i', link, '-j', input]);
    await run('sysctl', ['-q', '-w', `net.ipv4.conf.${link.replace(/\./g, '/')}.forwarding=1`], { errorCode: 'NETWORK_UNSAFE' });
  }
}

/** Removes a fleet's chains and the jumps to them. Safe to call when nothing exists. */
export async function removeFleetIsolation(fleetId: string): Promise<void> {
  const { fwd, input } = fleetChains(fleetId);
  for (const [builtin, chain] of [['FORWARD', fwd], ['INPUT', input]] as const) {
    const rules = await run('iptables', ['-w', '5', '-S', builtin], { allowFail: true });
    for (const line of rules.stdout.split('\n')) {
      if (!line.startsWith(`-A ${builtin} `) || !line.endsWith(`-j ${chain}`)) continue;
      await iptables(['-D', ...line.slice(3).split(' ')], true);
    }
    await iptables(['-F', chain], true);
    await iptables(['-X', chain], true);
  }
}
