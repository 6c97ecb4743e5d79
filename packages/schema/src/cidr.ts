/**
 * IP addresses and CIDR blocks, parsed once for everyone who takes them as text: the
 * agent's --allow-from, the server's trust_proxy, the drivers' network base and host routes.
 * Browser-safe (no node:net): families are told apart with zod's address patterns; Node's
 * `net.BlockList` does the matching where a membership test is needed (agent).
 */
import { z } from 'zod';
import { PuduError } from './errors.ts';

const IPV4 = z.ipv4();
const IPV6 = z.ipv6();

export interface Cidr {
  /** The text as written. */
  text: string;
  address: string;
  family: 4 | 6;
  /** 32 or 128 for a bare address. */
  prefixLen: number;
}

/** Parses `10.1.0.0/16`, `fd00::/8` or a bare address (a /32 or /128); null when it is neither. */
export function parseCidr(text: string): Cidr | null {
  const [address, len, ...rest] = text.trim().split('/');
  if (rest.length || !address) return null;
  const family = IPV4.safeParse(address).success ? 4 : IPV6.safeParse(address).success ? 6 : null;
  if (family === null) return null;
  const max = family === 4 ? 32 : 128;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return null;
  const prefixLen = len === undefined ? max : Number(len);
  return prefixLen <= max ? { text, address, family, prefixLen } : null;
}

/** Parses `a.b.c.d` into a 32-bit unsigned integer; throws BAD_REQUEST on anything else. */
export function parseIpv4(ip: string): number {
  if (!IPV4.safeParse(ip).success) throw new PuduError('BAD_REQUEST', `invalid IPv4 address "${ip}"`);
  return ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Formats a 32-bit unsigned integer as `a.b.c.d`. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The addresses an IPv4 block covers, as [first, end) integers (host bits ignored). */
export function ipv4Range(c: Cidr): [number, number] {
  if (c.family !== 4) throw new PuduError('BAD_REQUEST', `${c.text} is not an IPv4 block`);
  const size = 2 ** (32 - c.prefixLen);
  const start = Math.floor(parseIpv4(c.address) / size) * size;
  return [start, start + size];
}
