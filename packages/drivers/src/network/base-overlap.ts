/**
 * Is the VM network base free on this host? Any route or address of something else inside
 * it (Docker's 172.17.0.0/16 bridge, a VPN, the LAN) would make VM /30s collide with real
 * networks: traffic for a "VM" would leave through another interface. A VM's own /30 on a
 * link named for its index (a live VM, a leftover, a test's hand-made one: the names the
 * index allocator knows) is Pudu's and does not count.
 */
import { PuduError } from '@pudu/schema';
import { run } from '../util/exec.ts';
import { cidrRange as range, formatIpv4, indexForAddress, parseNetworkBase, type NetworkBase } from './addressing.ts';
import { candidateNames } from './index-allocator.ts';

export interface HostRoute {
  dst: string;
  dev?: string;
  table?: string;
}

interface IpRoute {
  dst?: string;
  dev?: string;
  table?: string;
  type?: string;
}

/** The host's IPv4 routes in every table (`ip -j -4 route show table all`). */
export async function readHostRoutes(): Promise<HostRoute[]> {
  const { stdout } = await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], { errorCode: 'NETWORK_UNSAFE' });
  return (JSON.parse(stdout || '[]') as IpRoute[])
    .filter((r) => r.dst && r.dst !== 'default')
    .map((r) => ({ dst: r.dst!, dev: r.dev, table: r.table }));
}

/** A route to one VM's /30 (or an address in it) through a link named for that VM's index. */
function isVmRoute(r: HostRoute, base: NetworkBase): boolean {
  if (!r.dev) return false;
  const [s, e] = range(r.dst);
  if (e - s > 4) return false;
  // The /30's host address names its index, whichever of its four addresses the route is for.
  const index = indexForAddress(formatIpv4(Math.floor(s / 4) * 4 + 1), base);
  return index !== undefined && candidateNames(index).links.includes(r.dev);
}

/** Routes of `routes` that fall inside (or contain) `base`, other than VMs' own and the default route. */
export function overlappingRoutes(base: string, routes: HostRoute[]): HostRoute[] {
  const b = parseNetworkBase(base);
  const [bs, be] = [b.start, b.start + 2 ** (32 - b.prefixLen)];
  return routes.filter((r) => {
    if (isVmRoute(r, b)) return false;
    const [s, e] = range(r.dst);
    // 0.0.0.0/1 + 128.0.0.0/1 is how VPNs override the default route: a default in disguise.
    if (e - s >= 2 ** 31) return false;
    return s < be && bs < e;
  });
}

/** Throws NETWORK_UNSAFE naming the first conflicting routes when `base` overlaps a host network. */
export async function assertBaseFree(base: string): Promise<void> {
  const hits = overlappingRoutes(base, await readHostRoutes());
  if (hits.length === 0) return;
  const list = hits.slice(0, 3).map((r) => `${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`).join(', ');
  throw new PuduError('NETWORK_UNSAFE', `network base ${base} overlaps host routes (${list}${hits.length > 3 ? ', …' : ''}): choose a free block with --network-base, e.g. 10.213.0.0/16`, { base, routes: hits });
}
