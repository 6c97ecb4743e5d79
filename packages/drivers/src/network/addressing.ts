/**
 * VM index → addresses and host object names. Pure: no I/O.
 *
 * The seed's layout: VM N gets host 172.16.N.1 and guest 172.16.N.2 on the /30
 * 172.16.N.0/30. That layout alone caps a host at 256 VMs, so indexes ≥ 256 are
 * packed densely as /30s starting at the next /16 of the base block
 * (172.17.0.0/30, 172.17.0.4/30, …) up to the end of the block (a /12 by default:
 * 172.16.0.0–172.31.255.255 → 256 + 15·16384 = 246 016 VMs).
 */
import { PuduError, formatIpv4, ipv4Range, parseCidr, parseIpv4 } from '@pudu/schema';

/** The seed's base block. */
export const DEFAULT_NETWORK_BASE = '172.16.0.0/12';

/** How many indexes use the seed's one-/24-per-VM layout. */
export const SEED_LAYOUT_INDEXES = 256;

/** Linux caps interface names at 15 bytes (IFNAMSIZ − 1). */
const IFNAME_MAX_CHARS = 15;

export interface NetworkBase {
  /** First address of the block as a 32-bit unsigned integer. */
  start: number;
  prefixLen: number;
  /** Number of VM indexes that fit in the block. */
  capacity: number;
}

export interface VmAddressing {
  index: number;
  /** Network address of the VM's /30. */
  subnet: string;
  prefixLen: 30;
  hostIp: string;
  guestIp: string;
  /** `hostIp/30`, ready for `ip addr add`. */
  hostCidr: string;
  guestCidr: string;
}

/** Names of every host object that belongs to VM index N; all carry the `pudu` prefix so cleanup finds them. */
export interface VmHostNames {
  /** Network namespace (sandbox driver). */
  netns: string;
  /** Host end of the veth pair (sandbox) — the link the route to the guest must use. */
  hostVeth: string;
  /** Guest end of the veth pair before it is moved into the netns. */
  guestVeth: string;
  /** TAP device (qemu, firecracker). */
  tap: string;
}

export { formatIpv4, parseIpv4 } from '@pudu/schema';

/**
 * Parses a base block such as `172.16.0.0/12` (or `10.200.0.0/16`).
 * The block must be at least a /16 so the seed's `X.Y.N.1` layout fits, and must be aligned.
 */
export function parseNetworkBase(cidr: string = DEFAULT_NETWORK_BASE): NetworkBase {
  const c = parseCidr(cidr);
  if (c?.family !== 4 || !cidr.includes('/')) throw new PuduError('BAD_REQUEST', `network base "${cidr}" is not a CIDR block like 172.16.0.0/12`);
  const { prefixLen } = c;
  if (prefixLen > 16 || prefixLen < 8) {
    throw new PuduError('BAD_REQUEST', `network base "${cidr}": prefix must be between /8 and /16 (the seed layout needs a /16)`);
  }
  const [start, end] = ipv4Range(c);
  const size = end - start;
  if (parseIpv4(c.address) !== start) {
    throw new PuduError('BAD_REQUEST', `network base "${cidr}" is not aligned: ${c.address} is not the first address of a /${prefixLen}`);
  }
  const sixteens = size / 65536;
  const capacity = SEED_LAYOUT_INDEXES + (sixteens - 1) * (65536 / 4);
  return { start, prefixLen, capacity };
}

/** Addresses of VM index N under the given base (default 172.16.0.0/12). */
export function addressForIndex(index: number, base: NetworkBase = parseNetworkBase()): VmAddressing {
  if (!Number.isInteger(index) || index < 0) {
    throw new PuduError('BAD_REQUEST', `VM index must be a non-negative integer, got ${index}`);
  }
  if (index >= base.capacity) {
    throw new PuduError('FLEET_CAPACITY', `VM index ${index} does not fit in the network base (${base.capacity} VMs)`);
  }
  const subnet = index < SEED_LAYOUT_INDEXES
    ? base.start + index * 256
    : base.start + 65536 + (index - SEED_LAYOUT_INDEXES) * 4;
  const hostIp = formatIpv4(subnet + 1);
  const guestIp = formatIpv4(subnet + 2);
  return {
    index,
    subnet: formatIpv4(subnet),
    prefixLen: 30,
    hostIp,
    guestIp,
    hostCidr: `${hostIp}/30`,
    guestCidr: `${guestIp}/30`,
  };
}

/** Inverse of addressForIndex for a host or guest address; undefined when the address is not a VM address. */
export function indexForAddress(ip: string, base: NetworkBase = parseNetworkBase()): number | undefined {
  const n = parseIpv4(ip);
  const off = n - base.start;
  if (off < 0 || off >= 2 ** (32 - base.prefixLen)) return undefined;
  const low = off & 3;
  if (low !== 1 && low !== 2) return undefined;
  if (off < 65536) {
    if ((off & 255) > 3) return undefined;
    return off >>> 8;
  }
  return SEED_LAYOUT_INDEXES + Math.floor((off - 65536) / 4);
}

/** Host object names for VM index N. */
export function hostNamesForIndex(index: number): VmHostNames {
  const names: VmHostNames = {
    netns: `pudu-vm${index}`,
    hostVeth: `pudu-h${index}`,
    guestVeth: `pudu-g${index}`,
    tap: `pudu-t${index}`,
  };
  for (const n of [names.hostVeth, names.guestVeth, names.tap]) {
    if (n.length > IFNAME_MAX_CHARS) throw new PuduError('FLEET_CAPACITY', `interface name ${n} exceeds ${IFNAME_MAX_CHARS} characters`);
  }
  return names;
}

/** True when the /30s of VM index N and `cidr` overlap. */
export function subnetOverlaps(index: number, cidr: string, base: NetworkBase = parseNetworkBase()): boolean {
  const [start, end] = cidrRange(cidr);
  const vm = parseIpv4(addressForIndex(index, base).subnet);
  return vm < end && start < vm + 4;
}

/** The [first, end) IPv4 integers of `cidr` (a bare address is a /32); BAD_REQUEST on anything else. */
export function cidrRange(cidr: string): [number, number] {
  const c = parseCidr(cidr);
  if (c?.family !== 4) throw new PuduError('BAD_REQUEST', `"${cidr}" is not an IPv4 address or block`);
  return ipv4Range(c);
}
