/**
 * Fleet isolation with iptables (filter table), for every driver (veths pudu-h*, TAPs pudu-t*):
 *
 *   FORWARD → PUDU-FORWARD:
 *     -i <vm link> -j PUDU-F-<fleet>      one jump per VM of a fleet
 *     -i pudu-h+/pudu-t+ -j DROP, -o … -j DROP: nothing else in or out
 *   PUDU-F-<fleet>: -o <vm link> -d <guest ip> -j ACCEPT for each VM of the fleet
 *   INPUT → PUDU-INPUT: from a VM link only replies (ESTABLISHED,RELATED) reach the host,
 *     so a VM cannot open connections to host services; the host's own control path
 *     (agent, SSH) is host→VM and its replies are allowed.
 *
 * IPv6 (ip6tables, filter table): fleets speak IPv4 only, so VM links are closed both ways
 *   INPUT → PUDU-INPUT, FORWARD → PUDU-FORWARD, OUTPUT → PUDU-OUTPUT: -i/-o <vm links> -j DROP
 * behind disable_ipv6 on each link's host end (ipv6.ts).
 *
 * All chains carry the PUDU- prefix so cleanup can remove them by name.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { run } from '../util/exec.ts';

export const FORWARD_CHAIN = 'PUDU-FORWARD';
export const INPUT_CHAIN = 'PUDU-INPUT';
export const OUTPUT_CHAIN = 'PUDU-OUTPUT';
const FLEET_CHAIN_PREFIX = 'PUDU-F-';
/**
 * Host-side link patterns this module default-denies: the sandbox's veths and the TAPs of
 * qemu/firecracker. Every driver opens its fleets with allowFleet, whose jumps sit before
 * these drops.
 */
export const VM_LINK_PATTERNS = ['pudu-h+', 'pudu-t+'] as const;

export interface FleetMember {
  /** Host-side link of the VM. */
  link: string;
  guestIp: string;
}

type Family = 'iptables' | 'ip6tables';

function ipt(args: string[], allowFail = false, family: Family = 'iptables') {
  return run(family, ['-w', '5', ...args], { allowFail, errorCode: 'NETWORK_UNSAFE' });
}

/** Chain name of a fleet (iptables caps chain names at 28 characters). */
export function fleetChain(fleetId: string): string {
  return FLEET_CHAIN_PREFIX + createHash('sha256').update(fleetId).digest('hex').slice(0, 12);
}

async function ensureChain(name: string, family: Family = 'iptables'): Promise<boolean> {
  const r = await ipt(['-N', name], true, family);
  return r.code === 0;
}

async function ensureJump(from: string, to: string, family: Family = 'iptables'): Promise<void> {
  if ((await ipt(['-C', from, '-j', to], true, family)).code !== 0) await ipt(['-I', from, '1', '-j', to], false, family);
}

async function ensureRule(chain: string, rule: string[], family: Family = 'iptables'): Promise<void> {
  if ((await ipt(['-C', chain, ...rule], true, family)).code !== 0) await ipt(['-A', chain, ...rule], false, family);
}

let baseReady: Promise<void> | undefined;

/** Installs the default-deny rules for VM links and enables forwarding. Idempotent; safe across processes. */
export function ensureBaseFirewall(): Promise<void> {
  baseReady ??= installBase().catch((e: unknown) => {
    baseReady = undefined;
    throw e;
  });
  return baseReady;
}

async function installBase(): Promise<void> {
  await ensureChain(FORWARD_CHAIN);
  await ensureChain(INPUT_CHAIN);
  for (const p of VM_LINK_PATTERNS) {
    await ensureRule(FORWARD_CHAIN, ['-i', p, '-j', 'DROP']);
    await ensureRule(FORWARD_CHAIN, ['-o', p, '-j', 'DROP']);
    await ensureRule(INPUT_CHAIN, ['-i', p, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT']);
    await ensureRule(INPUT_CHAIN, ['-i', p, '-j', 'DROP']);
  }
  await ensureJump('FORWARD', FORWARD_CHAIN);
  await ensureJump('INPUT', INPUT_CHAIN);
  await installIpv6Base();
}

async function installIpv6Base(): Promise<void> {
  const chains: [builtin: string, chain: string, dir: '-i' | '-o'][] = [['INPUT', INPUT_CHAIN, '-i'], ['OUTPUT', OUTPUT_CHAIN, '-o']];
  for (const [, chain] of chains) await ensureChain(chain, 'ip6tables');
  await ensureChain(FORWARD_CHAIN, 'ip6tables');
  for (const p of VM_LINK_PATTERNS) {
    for (const [, chain, dir] of chains) await ensureRule(chain, [dir, p, '-j', 'DROP'], 'ip6tables');
    await ensureRule(FORWARD_CHAIN, ['-i', p, '-j', 'DROP'], 'ip6tables');
    await ensureRule(FORWARD_CHAIN, ['-o', p, '-j', 'DROP'], 'ip6tables');
  }
  for (const [builtin, chain] of chains) await ensureJump(builtin, chain, 'ip6tables');
  await ensureJump('FORWARD', FORWARD_CHAIN, 'ip6tables');
}

/** Lets the members of a fleet reach each other (and nothing else). Call again with the full member list when it grows. */
export async function allowFleet(fleetId: string, members: FleetMember[]): Promise<void> {
  try {
    await installFleet(fleetId, members);
  } catch {
    // Another process's `pudu cleanup` may have removed the base chains we remembered as installed.
    baseReady = undefined;
    await installFleet(fleetId, members);
  }
}

/**
 * VM-to-VM traffic of a fleet is routed by the host: forwarding is switched on for the
 * fleet's own links only (the kernel checks the receiving link), never host-wide, so the
 * host never starts routing between its other interfaces because of Pudu.
 */
function enableLinkForwarding(link: string): void {
  const knob = `/proc/sys/net/ipv4/conf/${link.replace(/\./g, '/')}/forwarding`;
  if (readFileSync(knob, 'utf8').trim() !== '1') writeFileSync(knob, '1');
}

async function installFleet(fleetId: string, members: FleetMember[]): Promise<void> {
  await ensureBaseFirewall();
  for (const m of members) enableLinkForwarding(m.link);
  const chain = fleetChain(fleetId);
  // One iptables-restore per fleet instead of 3 + 2n iptables runs: declaring the chain creates or flushes it.
  const { stdout } = await ipt(['-S', FORWARD_CHAIN]);
  const lines = [`:${chain} - [0:0]`, ...members.map((m) => `-A ${chain} -o ${m.link} -d ${m.guestIp} -j ACCEPT`)];
  for (const m of members) {
    if (!stdout.includes(`-A ${FORWARD_CHAIN} -i ${m.link} -j ${chain}`)) lines.push(`-I ${FORWARD_CHAIN} 1 -i ${m.link} -j ${chain}`);
  }
  await restore(lines);
}

function restore(lines: string[]) {
  return run('iptables-restore', ['-w', '5', '--noflush'], { input: `*filter\n${lines.join('\n')}\nCOMMIT\n`, errorCode: 'NETWORK_UNSAFE' });
}

/** Removes a fleet's rules. Idempotent. */
export async function removeFleetRules(fleetId: string): Promise<void> {
  const chain = fleetChain(fleetId);
  const { stdout } = await ipt(['-S'], true);
  if (!stdout.includes(`-N ${chain}`)) return;
  const deletes = stdout.split('\n').filter((l) => l.startsWith('-A ') && l.endsWith(`-j ${chain}`)).map((l) => `-D ${l.slice(3)}`);
  await restore([...deletes, `-F ${chain}`, `-X ${chain}`]);
}

function splitRule(rule: string): string[] {
  return rule.split(' ').filter(Boolean);
}

/** Every pudu-* / PUDU-* chain (any driver's, IPv4 and IPv6) and the jumps into them (for cleanup); returns what it removed. */
export async function removeAllPuduRules(): Promise<string[]> {
  const removed = [...await removeFamilyRules('iptables'), ...await removeFamilyRules('ip6tables')];
  baseReady = undefined;
  return removed;
}

async function removeFamilyRules(family: Family): Promise<string[]> {
  const removed: string[] = [];
  const { stdout, code } = await ipt(['-S'], true, family).catch(() => ({ stdout: '', code: 1 }));
  if (code !== 0) return removed;
  const chains = stdout.split('\n').filter((l) => /^-N pudu-/i.test(l)).map((l) => l.slice(3).trim());
  for (const line of stdout.split('\n')) {
    const m = /^-A (\S+) .*-j (pudu-\S+)$/i.exec(line);
    if (m && !/^pudu-/i.test(m[1]!)) {
      await ipt(['-D', ...splitRule(line.slice(3))], true, family);
      removed.push(`${family} rule ${line}`);
    }
  }
  for (const c of chains) {
    await ipt(['-F', c], true, family);
  }
  for (const c of chains) {
    await ipt(['-X', c], true, family);
    removed.push(`${family} chain ${c}`);
  }
  return removed;
}
