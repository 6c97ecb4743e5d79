/**
 * Owners of persistent VMs. A server gives its driver an owner id (stable across restarts:
 * derived from its database); the VMs it creates record that id and outlive the process.
 * While the owner runs it holds the abstract socket `\0pudu-owner-<hash>` — bound
 * atomically, released by the kernel when the process dies (SIGKILL included) — so
 * anyone can tell "owner running" from "VMs waiting for their owner to come back".
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:net';
import { PuduError } from '@pudu/schema';
import { assertLeaseNamespace, bindAbstractName, closeServer } from '../network/index-allocator.ts';

function leaseName(ownerId: string): string {
  return `\0pudu-owner-${createHash('sha256').update(ownerId).digest('hex').slice(0, 24)}`;
}

const held = new Map<string, Server>();

/** Takes the owner lease for this process (idempotent); CONFLICT when another live process holds it. */
export async function holdOwnerLease(ownerId: string): Promise<void> {
  if (held.has(ownerId)) return;
  assertLeaseNamespace();
  const s = await bindAbstractName(leaseName(ownerId));
  if (!s) throw new PuduError('CONFLICT', 'another running Pudu process owns the VMs of this database; stop it first');
  held.set(ownerId, s);
}

/** True while some live process holds the owner lease of `ownerId`. */
export async function isOwnerRunning(ownerId: string): Promise<boolean> {
  if (held.has(ownerId)) return true;
  assertLeaseNamespace();
  const s = await bindAbstractName(leaseName(ownerId));
  if (!s) return true;
  await closeServer(s);
  return false;
}
