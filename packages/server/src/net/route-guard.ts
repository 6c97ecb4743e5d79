/**
 * Before any traffic to a VM address: the host's route to it must go through the fleet's
 * own link (veth or TAP). Anything else would send a trainee's terminal or a check to a
 * real network. Results are cached per (address, link) for a short while.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PuduError } from '@pudu/schema';

const run = promisify(execFile);
const CACHE_MS = 10_000;
const cache = new Map<string, number>();

/** Throws NETWORK_UNSAFE unless `ip route get ADDR` says `dev LINK`. */
export async function assertRouteThrough(address: string, link: string): Promise<void> {
  const key = `${address}@${link}`;
  const at = cache.get(key);
  if (at !== undefined && Date.now() - at < CACHE_MS) return;
  let out = '';
  try {
    out = (await run('ip', ['route', 'get', address], { timeout: 2000 })).stdout;
  } catch (e) {
    throw new PuduError('NETWORK_UNSAFE', `cannot check the route to ${address}: ${(e as Error).message}`);
  }
  const dev = /\bdev\s+(\S+)/.exec(out)?.[1];
  if (dev !== link) {
    throw new PuduError('NETWORK_UNSAFE', `route to ${address} goes through ${dev ?? 'nothing'}, not the fleet's link ${link}; refusing to send traffic`);
  }
  cache.set(key, Date.now());
}
