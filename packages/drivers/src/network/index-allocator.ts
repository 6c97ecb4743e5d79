/**
 * Lowest-free VM index, safe across processes.
 *
 * A lease is an abstract-namespace Unix socket `\0pudu-vm-index-N` bound by the
 * owning process: bind() is atomic and exclusive, and the kernel releases it when the
 * owner exits for any reason (SIGKILL included) — no lock files to go stale.
 * After the owner dies, the index stays taken by its leftover netns/links/addresses
 * until cleanup removes them, because allocation also skips every index that still
 * has a host object (someone else's netns, a hand-made veth in a test, an address or
 * route overlapping its /30).
 */
import { createServer, type Server } from 'node:net';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PuduError } from '@pudu/schema';
import { addressForIndex, hostNamesForIndex, parseNetworkBase, subnetOverlaps, type NetworkBase } from './addressing.ts';

const execFileAsync = promisify(execFile);

/** Abstract socket names live in the network namespace of the binder; we always bind from the caller's (host) netns. */
const LEASE_PREFIX = '\0pudu-vm-index-';

export interface IndexLease {
  readonly index: number;
  /**
   * The lease socket's file descriptor: a child process that inherits it holds the lease too,
   * so the index stays taken while that process lives, even after this one exits.
   */
  readonly fd: number | undefined;
  /** Gives the index back (this process's hold on it). Idempotent. */
  release(): Promise<void>;
}

export interface AllocateOptions {
  /** First index to consider (default 0). */
  minIndex?: number;
  /** Last index to consider, inclusive (default: the base's capacity − 1). */
  maxIndex?: number;
  base?: NetworkBase;
  /** Indexes never to hand out (e.g. ranges other tools use by hand). */
  exclude?: (index: number) => boolean;
}

/** What already exists on the host, read once per allocation. */
export interface HostNetworkSnapshot {
  netns: Set<string>;
  links: Set<string>;
  /** Every IPv4 address/prefix and route destination on the host, as CIDR. */
  cidrs: string[];
}

/** Reads netns names, link names, and IPv4 addresses and routes of the host. */
export async function readHostNetwork(): Promise<HostNetworkSnapshot> {
  const netns = new Set(safeReaddir('/run/netns'));
  const links = new Set(safeReaddir('/sys/class/net'));
  const cidrs: string[] = [];
  const [addrs, routes] = await Promise.all([
    execFileAsync('ip', ['-j', '-4', 'addr', 'show']),
    execFileAsync('ip', ['-j', '-4', 'route', 'show', 'table', 'all']),
  ]);
  for (const link of JSON.parse(addrs.stdout || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[]) {
    for (const a of link.addr_info ?? []) cidrs.push(`${a.local}/${a.prefixlen}`);
  }
  for (const r of JSON.parse(routes.stdout || '[]') as { dst: string; type?: string }[]) {
    // The default route overlaps everything; local/broadcast entries duplicate addresses.
    if (r.dst === 'default' || r.dst === '0.0.0.0/0') continue;
    if (r.type === 'broadcast' || r.type === 'local') continue;
    cidrs.push(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
  }
  return { netns, links, cidrs };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Names that other Pudu code (or a test setting up by hand) may give objects of index N. */
export function candidateNames(index: number): { netns: string[]; links: string[] } {
  const n = hostNamesForIndex(index);
  return {
    netns: [n.netns, `pudu-${index}`, `pudu-vm-${index}`],
    links: [n.hostVeth, n.guestVeth, n.tap, `vh${index}`, `vs${index}`, `tap${index}`],
  };
}

/** Why index N is in use on the host, or undefined when it is free of host objects. */
export function hostObjectFor(index: number, snap: HostNetworkSnapshot, base: NetworkBase = parseNetworkBase()): string | undefined {
  const c = candidateNames(index);
  const ns = c.netns.find((x) => snap.netns.has(x));
  if (ns) return `netns ${ns} exists`;
  const link = c.links.find((x) => snap.links.has(x));
  if (link) return `link ${link} exists`;
  const cidr = snap.cidrs.find((x) => subnetOverlaps(index, x, base));
  if (cidr) return `${addressForIndex(index, base).subnet}/30 overlaps ${cidr} on the host`;
  return undefined;
}

/** The host's netns id: PID 1's, or kthreadd's where PID 1 is not readable (kernel threads live in the initial netns). */
function hostNetns(): string | undefined {
  for (const pid of [1, 2]) {
    try {
      if (pid === 2 && readFileSync('/proc/2/comm', 'utf8').trim() !== 'kthreadd') continue;
      return readlinkSync(`/proc/${pid}/ns/net`);
    } catch { /* not readable */ }
  }
  return undefined;
}

/**
 * Abstract sockets are per network namespace: a process in another netns would see every
 * lease as free, hand out taken indexes and take live VMs for orphans. Refuse that.
 */
export function assertLeaseNamespace(): void {
  const self = readlinkSync('/proc/self/ns/net');
  const init = hostNetns();
  if (!init) return; // Cannot tell: trust the caller.
  if (self !== init) {
    throw new PuduError('DRIVER_UNAVAILABLE', `VM index leases live in the host network namespace; this process runs in ${self} (host: ${init})`);
  }
}

/** Binds an abstract Unix socket name (`\0…`), or resolves undefined when a live process holds it. */
export function bindAbstractName(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(undefined);
      else reject(err);
    });
    server.listen(name, () => resolve(server));
  });
}

function bindLease(index: number): Promise<Server | undefined> {
  return bindAbstractName(`${LEASE_PREFIX}${index}`);
}

/** Closes a lease socket (this process's hold on the name). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** True when some live process holds the lease of index N. */
export async function isIndexLeased(index: number): Promise<boolean> {
  assertLeaseNamespace();
  const s = await bindLease(index);
  if (!s) return true;
  await closeServer(s);
  return false;
}

/**
 * Takes the lease of exactly index N, whatever host objects it has (to remove them without
 * racing a new VM for the index), or resolves undefined when a live process holds it.
 */
export async function leaseIndex(index: number): Promise<IndexLease | undefined> {
  assertLeaseNamespace();
  const server = await bindLease(index);
  if (!server) return undefined;
  let released = false;
  return {
    index,
    fd: (server as unknown as { _handle?: { fd?: number } })._handle?.fd,
    release: async () => {
      if (released) return;
      released = true;
      await closeServer(server);
    },
  };
}

/**
 * Leases the lowest free VM indexes: `count` of them, each free of leases and of host objects.
 * Throws FLEET_CAPACITY (after releasing what it took) when not enough are free.
 */
export async function allocateIndexes(count: number, opts: AllocateOptions = {}): Promise<IndexLease[]> {
  assertLeaseNamespace();
  const base = opts.base ?? parseNetworkBase();
  const min = opts.minIndex ?? 0;
  const max = Math.min(opts.maxIndex ?? base.capacity - 1, base.capacity - 1);
  const snap = await readHostNetwork();
  const leases: IndexLease[] = [];
  try {
    for (let i = min; i <= max && leases.length < count; i++) {
      if (opts.exclude?.(i)) continue;
      if (hostObjectFor(i, snap, base)) continue;
      const lease = await leaseIndex(i);
      if (lease) leases.push(lease);
    }
  } catch (e) {
    await Promise.all(leases.map((l) => l.release()));
    throw e;
  }
  if (leases.length < count) {
    await Promise.all(leases.map((l) => l.release()));
    throw new PuduError('FLEET_CAPACITY', `only ${leases.length} of ${count} VM indexes are free in ${min}..${max}`, { min, max, count });
  }
  return leases;
}

/** Leases one index; see allocateIndexes. */
export async function allocateIndex(opts: AllocateOptions = {}): Promise<IndexLease> {
  const [lease] = await allocateIndexes(1, opts);
  return lease!;
}
