import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import { networkInterfaces } from 'node:os';
import { PuduError, parseCidr as parseAnyCidr, type Cidr } from '@pudu/schema';
import { publicKeyFromRaw } from './signing.ts';

/**
 * Reads the fleet's Ed25519 public key (raw, base64url, one line). The guest holds only this
 * public half: root in the VM can read it, and it lets nobody sign a request.
 */
export function loadPublicKey(file: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new PuduError('BAD_REQUEST', `--key-file ${file}: ${(e as Error).message}`);
  }
  try {
    return publicKeyFromRaw(text);
  } catch {
    throw new PuduError('BAD_REQUEST', `--key-file ${file}: expected a raw Ed25519 public key (32 bytes, base64url)`);
  }
}

export type { Cidr } from '@pudu/schema';

/** Parses "172.16.5.1/32" (or a bare address); throws BAD_REQUEST with the text on error. */
export function parseCidr(text: string): Cidr {
  const c = parseAnyCidr(text);
  if (c?.family !== 4) throw new PuduError('BAD_REQUEST', `--allow-from ${text}: expected an IPv4 CIDR like 172.16.0.1/32`);
  return c;
}

function normalise(addr: string): string {
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}

/** The VM's own addresses: a request from one of them comes from inside the VM, whatever the CIDR says. */
function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}

/**
 * Decides whether a peer may talk to the agent. Refused: anything outside the allowed CIDRs
 * and any address the VM itself owns (a root trainee could add the host's address to lo).
 */
export function isPeerAllowed(remote: string | undefined, allow: readonly Cidr[]): boolean {
  if (!remote) return false;
  const ip = normalise(remote);
  if (localAddresses().has(ip)) return false;
  const list = new BlockList();
  for (const c of allow) list.addSubnet(c.address, c.prefixLen, 'ipv4');
  return list.check(ip, 'ipv4');
}
