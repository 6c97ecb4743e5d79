/**
 * Per-VM network namespace and veth pair (sandbox driver): host end pudu-hN with
 * 172.16.N.1/30 and IPv6 disabled, guest end `eth0` inside the VM's netns with
 * 172.16.N.2/30 and a default route via the host end. The netns is the VM's own (created
 * with its user namespace, so the VM's root may run iptables and tc in it); it is given
 * the name pudu-vmN (`ip netns attach`) so host tools and cleanup find it.
 */
import { run } from '../util/exec.ts';
import { addressForIndex, hostNamesForIndex, type NetworkBase } from './addressing.ts';
import { disableLinkIpv6 } from './ipv6.ts';

/** Name of the guest's interface inside its netns. */
export const GUEST_IFNAME = 'eth0';

/** Names the network namespace of process `pid` pudu-vmN and links it to the host. On failure removes what it made. */
export async function attachVethNetwork(index: number, pid: number, base?: NetworkBase): Promise<void> {
  const a = addressForIndex(index, base);
  const n = hostNamesForIndex(index);
  try {
    await run('ip', ['-batch', '-'], {
      errorCode: 'VM_START_FAILED',
      input: [
        `netns attach ${n.netns} ${pid}`,
        `link add ${n.hostVeth} type veth peer name ${GUEST_IFNAME} netns ${n.netns}`,
        // No link-local address in the moment before disable_ipv6 below (the VM is still waiting for its go).
        `link set ${n.hostVeth} addrgenmode none`,
        `addr add ${a.hostCidr} dev ${n.hostVeth}`,
        `link set ${n.hostVeth} up`,
      ].join('\n'),
    });
    disableLinkIpv6(n.hostVeth);
    await run('ip', ['-n', n.netns, '-batch', '-'], {
      errorCode: 'VM_START_FAILED',
      input: [
        'link set lo up',
        `addr add ${a.guestCidr} dev ${GUEST_IFNAME}`,
        `link set ${GUEST_IFNAME} up`,
        `route add default via ${a.hostIp}`,
      ].join('\n'),
    });
  } catch (e) {
    await removeVethNetwork(index);
    throw e;
  }
}

/** Removes the netns name and the veth of VM index N (the netns itself ends with its last process). Idempotent. */
export async function removeVethNetwork(index: number): Promise<void> {
  const n = hostNamesForIndex(index);
  await run('ip', ['netns', 'del', n.netns], { allowFail: true });
  await run('ip', ['link', 'del', n.hostVeth], { allowFail: true });
}
