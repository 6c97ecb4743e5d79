/**
 * IPv6 on fleet links: closed both ways. Fleets speak IPv4 only, so the host end of every
 * VM link (veth pudu-hN, TAP pudu-tN) gets `disable_ipv6=1` before it comes up: no
 * link-local address, no neighbour discovery, and the kernel drops every IPv6 packet that
 * arrives on it (before any firewall), whatever the VM's root does to its own end.
 * ip6tables default-deny (firewall.ts) stands behind it in case a link escapes this.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PuduError } from '@pudu/schema';

/** Disables IPv6 on a host-side link (the link must exist; idempotent). */
export function disableLinkIpv6(link: string): void {
  const knob = `/proc/sys/net/ipv6/conf/${link.replace(/\./g, '/')}/disable_ipv6`;
  try {
    if (readFileSync(knob, 'utf8').trim() !== '1') writeFileSync(knob, '1');
  } catch (e) {
    // No IPv6 in this kernel at all: nothing to close.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !hostHasIpv6()) return;
    throw new PuduError('NETWORK_UNSAFE', `cannot disable IPv6 on ${link}: ${(e as Error).message}`);
  }
}

function hostHasIpv6(): boolean {
  try {
    readFileSync('/proc/sys/net/ipv6/conf/all/disable_ipv6');
    return true;
  } catch {
    return false;
  }
}
