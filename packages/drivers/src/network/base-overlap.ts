/**
 * Is the VM network base free on this host? Any route or address of something else inside
 * it (Docker's 172.17.0.0/16 bridge, a VPN, the LAN) would make VM /30s collide with real
 * networks: traffic for a "VM" would leave through another interface. Pudu's own links
 * (`pudu-*`) are ours and do not count.
 */
import { PuduError } from '@pudu/schema';
import { run } from '../util/exec.ts';
import { parseIpv4, parseNetworkBase } from './addressing.ts';

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

function range(cidr: string): [number, number] {
  const [ip, lenText] = cidr.split('/');
  const len = lenText === undefined ? 32 : Number(lenText);
  const size = 2 ** (32 - len);
  const start = Math.floor(parseIpv4(ip!) / size) * size;
  return [start, start + size];
}

/** Routes of `routes` that fall inside (or contain) `base`, other than Pudu's own links and the default route. */
export function overlappingRoutes(base: string, routes: HostRoute[]): HostRoute[] {
  const b = parseNetworkBase(base);
  const [bs, be] = [b.start, b.start + 2 ** (32 - b.prefixLen)];
  return routes.filter((r) => {
    if (r.dev?.startsWith('pudu')) return false;
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
