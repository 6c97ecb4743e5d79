/**
 * The sandbox as a boundary, attacked as root from inside a VM (what a trainee who wants
 * the points, or a curious one, would try): nothing reaches the host or another fleet over
 * IPv4 or IPv6, and nothing of the host's devices, filesystems or sysctls is reachable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, statSync } from 'node:fs';
import { createSandboxDriver, type VmDriver, type VmInfo } from '../../packages/drivers/src/index.ts';
import { run } from '../../packages/drivers/src/util/exec.ts';
import { vmCgroupDir } from '../../packages/drivers/src/sandbox/cgroups.ts';
import { VM_ID_BASE } from '../../packages/drivers/src/sandbox/userns.ts';
import { TEST_AGENT_KEYS, TEST_INDEX_RANGE, sandboxSkipReason, sshRoot, testImage } from './helpers.ts';

const skip = sandboxSkipReason();
/** From the isolation engineer's port range: one dual-stack listener, one IPv4-only. */
const PORT_DUAL = 19301;
const PORT_V4 = 19302;

function spec(id: string, name: string) {
  return { id, agent: { publicKey: TEST_AGENT_KEYS.publicKey }, vms: [{ name, tier: name.replace(/-\d+$/, ''), vcpus: 1, memMb: 256, diskMb: 512, services: [] }] };
}

interface Listeners { counts: { tcp: number; udp: number }; close: () => Promise<void> }

/** TCP and UDP listeners on [::] (dual-stack) and 0.0.0.0 that count every connection and datagram. */
async function hostListeners(): Promise<Listeners> {
  const counts = { tcp: 0, udp: 0 };
  const tcp: Server[] = [];
  const udp: Socket[] = [];
  for (const [host, port] of [['::', PORT_DUAL], ['0.0.0.0', PORT_V4]] as const) {
    const s = createServer((c) => { counts.tcp++; c.destroy(); });
    await new Promise<void>((r, j) => { s.once('error', j); s.listen({ host, port, ipv6Only: false }, r); });
    tcp.push(s);
    const u = createSocket({ type: host === '::' ? 'udp6' : 'udp4', ipv6Only: false });
    u.on('message', () => { counts.udp++; });
    await new Promise<void>((r) => u.bind(port, host, r));
    udp.push(u);
  }
  return {
    counts,
    close: async () => {
      await Promise.all(tcp.map((s) => new Promise((r) => s.close(r))));
      for (const u of udp) u.close();
    },
  };
}

/** Every address of the host, IPv4 and IPv6 (link-local ones scoped to the VM's eth0: the only way it could try them). */
async function hostAddresses(): Promise<string[]> {
  const links = JSON.parse((await run('ip', ['-j', 'addr', 'show'])).stdout) as { ifname: string; addr_info?: { local: string; family: string; scope: string }[] }[];
  const out = new Set<string>();
  for (const l of links) {
    for (const a of l.addr_info ?? []) {
      if (a.scope === 'host') continue;
      out.add(a.family === 'inet6' && a.scope === 'link' ? `${a.local}%eth0` : a.local);
    }
  }
  return [...out];
}

/**
 * Shell that tries TCP, UDP and ICMP to `addr` in the background and prints one verdict line
 * per try. A multicast ping is answered by the VM itself: only other responders count.
 */
function probes(addr: string): string {
  const v6 = addr.includes(':');
  const ping = v6 ? `ping -6 -c2 -W1 ${addr}` : `ping -c1 -W1 ${addr}`;
  const icmp = addr.startsWith('ff02')
    ? `( from=$(${ping} 2>/dev/null | awk '/bytes from/ {print $4}' | sed 's/%.*//; s/:$//' | grep -vxF "$own" | sort -u | tr '\\n' ' '); [ -n "$from" ] && echo "REACHED icmp ${addr} answered by $from" || echo "blocked icmp ${addr}" ) &`
    : `( ${ping} >/dev/null 2>&1 && echo "REACHED icmp ${addr}" || echo "blocked icmp ${addr}" ) &`;
  return [
    ...[PORT_DUAL, PORT_V4].map((p) => `( nc -z -w 2 ${v6 ? '-6' : '-4'} ${addr} ${p} 2>/dev/null && echo "REACHED tcp ${addr} ${p}" || echo "blocked tcp ${addr} ${p}" ) &`),
    ...[PORT_DUAL, PORT_V4].map((p) => `( echo probe | nc -u -w 1 ${v6 ? '-6' : '-4'} ${addr} ${p} 2>/dev/null; echo "sent udp ${addr} ${p}" ) &`),
    icmp,
  ].join('\n');
}

test('from inside a VM as root, no TCP, UDP or ICMP reaches the host or another fleet, over IPv4 or IPv6', { skip, timeout: 300_000 }, async (t) => {
  const img = await testImage();
  const driver: VmDriver = await createSandboxDriver({ rootfsDir: img.rootfsDir, ...TEST_INDEX_RANGE });
  t.after(async () => {
    await driver.destroyFleet('iso-net-a');
    await driver.destroyFleet('iso-net-b');
  });
  const [[a], [b]] = (await Promise.all([driver.createFleet(spec('iso-net-a', 'a-0')), driver.createFleet(spec('iso-net-b', 'b-0'))])) as [VmInfo[], VmInfo[]];
  const listeners = await hostListeners();
  t.after(() => listeners.close());

  // The listeners count: a control from the host itself over both families.
  for (const host of ['127.0.0.1', '::1']) {
    await new Promise<void>((r, j) => connect(PORT_DUAL, host, () => r()).once('error', j));
  }
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(listeners.counts.tcp, 2, 'the host listeners count connections');
  listeners.counts.tcp = 0;

  // The host end of each VM link: IPv6 disabled, no address at all.
  for (const vm of [a!, b!]) {
    assert.equal(readFileSync(`/proc/sys/net/ipv6/conf/${vm.hostLink}/disable_ipv6`, 'utf8').trim(), '1', `${vm.hostLink} has IPv6 disabled`);
    assert.equal((await run('ip', ['-6', 'addr', 'show', 'dev', vm.hostLink])).stdout.trim(), '', `${vm.hostLink} has no IPv6 address`);
  }
  const hostMac = readFileSync(`/sys/class/net/${a!.hostLink}/address`, 'utf8').trim();
  const targets = [...new Set([...(await hostAddresses()), a!.hostIp, b!.hostIp, b!.guestIp, 'ff02::1%eth0', 'ff02::2%eth0'])];
  assert.ok(targets.some((x) => x.includes(':')), `the host has IPv6 addresses to attack: ${targets.join(' ')}`);

  // The attacker turns IPv6 back on in the VM, gives itself an address in the host's prefix,
  // routes everything out of eth0 and pins the host end's MAC for every IPv6 target.
  const v6targets = targets.filter((x) => x.includes(':') && !x.startsWith('ff02')).map((x) => x.replace(/%eth0$/, ''));
  const attack = [
    'sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0 net.ipv6.conf.all.disable_ipv6=0',
    'ip -6 addr add fd00::99/64 dev eth0 nodad 2>/dev/null || true',
    'ip -6 route replace default dev eth0',
    ...v6targets.map((x) => `ip -6 neigh replace ${x} lladdr ${hostMac} dev eth0 nud permanent`),
    // A control from inside: the probes do reach what they should (the VM's own sshd).
    'nc -z -w 2 127.0.0.1 22 && echo "control ok"',
    'sleep 1',
    'own=$(ip -6 -o addr show | awk \'{print $4}\' | cut -d/ -f1)',
    ...targets.map(probes),
    'wait',
  ].join('\n');
  const out = (await sshRoot(a!.guestIp, attack, { allowFail: true })).stdout;
  assert.match(out, /control ok/, out);
  const reached = out.split('\n').filter((l) => l.startsWith('REACHED'));
  assert.deepEqual(reached, [], `reached from inside the VM:\n${reached.join('\n')}`);
  assert.equal(out.split('\n').filter((l) => l.startsWith('sent udp')).length, targets.length * 2, 'every UDP probe was sent');
  // Give late datagrams a moment; then nothing may have arrived on the host.
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(listeners.counts, { tcp: 0, udp: 0 }, 'connections and datagrams from the VM that reached host listeners');
  t.diagnostic(`${targets.length} targets × (2 TCP + 2 UDP + ICMP) from ${a!.name}: ${targets.join(' ')}`);
});

test('root in a sandbox VM cannot reach host devices, mount host filesystems or write host sysctls', { skip, timeout: 300_000 }, async (t) => {
  const img = await testImage();
  const driver: VmDriver = await createSandboxDriver({ rootfsDir: img.rootfsDir, ...TEST_INDEX_RANGE });
  t.after(() => driver.destroyFleet('iso-root'));
  const [vm] = await driver.createFleet(spec('iso-root', 'r-0'));
  const rootDev = statSync('/').dev;
  const [major, minor] = [Math.floor(rootDev / 256) & 0xfff, (rootDev & 0xff) | ((rootDev >> 12) & 0xfff00)];
  const corePattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
  const script = [
    'mkdir -p /mnt/d /mnt/p /mnt/s /mnt/c /mnt/h',
    'try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "ALLOWED $name"; else echo "denied $name"; fi; }',
    'try devtmpfs mount -t devtmpfs devtmpfs /mnt/d',
    `try mknod-block mknod /tmp/hostdisk b ${major} ${minor}`,
    'try mknod-mem mknod /tmp/mem c 1 1',
    'try open-vda head -c1 /dev/vda',
    `try open-hostdisk head -c1 /dev/block/${major}:${minor}`,
    'try sysctl-core_pattern sh -c "echo /tmp/x > /proc/sys/kernel/core_pattern"',
    'try sysctl-drop_caches sysctl -w vm.drop_caches=1',
    'try sysctl-modules sh -c "echo 1 > /proc/sys/kernel/modules_disabled"',
    'try new-cgroup-hierarchy mount -t cgroup -o none,name=pudu-escape cgroup /mnt/c',
    'try sysfs mount -t sysfs sysfs /mnt/s',
    // A proc mount may succeed, but it must be the VM's own PID namespace.
    'if mount -t proc proc /mnt/p 2>/dev/null; then a=$(readlink /mnt/p/1/ns/pid); b=$(readlink /proc/1/ns/pid); [ -n "$a" ] && [ "$a" = "$b" ] && echo "own proc" || echo "ALLOWED host-proc"; fi',
    'try uevent-helper sh -c "echo /tmp/x > /sys/kernel/uevent_helper"',
    'grep -q "0 *1560281088 *65536" /proc/self/uid_map && echo "mapped root"',
    'echo "capbnd $(grep CapBnd /proc/self/status | cut -f2)"',
  ].join('\n');
  const out = (await sshRoot(vm!.guestIp, script, { allowFail: true })).stdout;
  const allowed = out.split('\n').filter((l) => l.startsWith('ALLOWED'));
  assert.deepEqual(allowed, [], `root in the VM could:\n${allowed.join('\n')}\n${out}`);
  assert.equal(out.split('\n').filter((l) => l.startsWith('denied')).length, script.split('\n').filter((l) => l.startsWith('try ')).length, out);
  assert.match(out, /mapped root/, 'root in the VM is host uid VM_ID_BASE');
  const bnd = BigInt(`0x${/capbnd (\w+)/.exec(out)?.[1] ?? '0'}`);
  for (const [cap, bit] of [['sys_module', 16], ['sys_rawio', 17], ['sys_time', 25], ['mknod', 27], ['bpf', 39]] as const) {
    assert.equal((bnd >> BigInt(bit)) & 1n, 0n, `${cap} is out of the bounding set`);
  }
  assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), corePattern, 'the host core_pattern is unchanged');

  // Seen from the host: the VM's processes run as the unprivileged id, its device cgroup allows no block device.
  const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${vm!.pid}/status`, 'utf8'))?.[1];
  assert.equal(Number(uid), VM_ID_BASE, 'the VM PID 1 runs as the unprivileged host id');
  const devices = readFileSync(`${vmCgroupDir('devices', `pudu-vm${vm!.index}`)}/devices.list`, 'utf8');
  assert.doesNotMatch(devices, /^(a|b) /m, `device allow-list: ${devices}`);
});
