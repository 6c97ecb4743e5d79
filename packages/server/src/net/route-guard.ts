/**
 * Before any traffic to a VM address: the host's route to it must go through the fleet's
 * own link (veth or TAP). Anything else would send a trainee's terminal or a check to a
 * real network. The drivers' check, with its results cached per (address, link) for a
 * short while: it runs before every agent call, http check and terminal.
 */
import { verifyRoute } from '@pudu/drivers';

const CACHE_MS = 10_000;
const cache = new Map<string, number>();

/** Throws NETWORK_UNSAFE unless `ip route get ADDR` says `dev LINK`. */
export async function assertRouteThrough(address: string, link: string): Promise<void> {
  const key = `${address}@${link}`;
  const at = cache.get(key);
  if (at !== undefined && Date.now() - at < CACHE_MS) return;
  await verifyRoute(address, link);
  cache.set(key, Date.now());
}
