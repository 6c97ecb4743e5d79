/**
 * Fleets over a VmDriver, with every state change persisted first: a fleet the server
 * was creating or deleting when it died is finished off (destroyed) at the next start,
 * and a ready fleet is adopted again — its running VMs as they are, the ones that are
 * gone replaced (drivers with adoptFleet; others keep a fleet only if every VM still runs).
 * Every fleet holds its share of the host budget (capacity-budget.ts) until it is deleted.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { generateAgentKeyPair } from '@pudu/agent';
import { PuduError, type Capacity, type Fleet, type FleetCreateRequest, FleetCreateRequestSchema } from '@pudu/schema';
import type { Duplex } from 'node:stream';
import type { HostVmView, VmDriver, VmInfo, VmSpec, VmStreamTarget } from '@pudu/drivers';
import type { FleetRecord, Store } from '../store/store.ts';
import type { Metrics } from '../metrics.ts';
import { publicError } from '../public-error.ts';
import { CapacityBudget, defaultBudget, needOf } from './capacity-budget.ts';
import { insertUnderFreshId } from '../store/fresh-id.ts';

interface FleetDoc {
  driver: string;
  specs: VmSpec[];
  vms: (VmInfo & { tier: string })[];
  readyAt: string | null;
  bootMs: number | null;
  error: string | null;
  /**
   * The fleet's Ed25519 private key (PKCS#8 PEM): the server signs every agent request with
   * it; the guests hold only the public half, which signs nothing.
   */
  agentKey: string;
  /** The last adoption after a server restart: when, and which VMs had to be booted afresh. */
  adopted?: { at: string; replaced: string[] };
}

export interface CreateFleetOptions {
  runId?: string | null;
  onProgress?: (msg: string) => void;
  /**
   * Wait in line for the host budget instead of failing with CAPACITY_EXHAUSTED (scenario
   * runs); `onQueued` is told once if it has to wait, `signal` gives up the place.
   */
  queue?: { signal?: AbortSignal; onQueued?: (capacity: Capacity) => void; onAdmitted?: () => void };
}

/** The raw Ed25519 public key (base64url) of a PKCS#8 private key: what the guests were given. */
function publicKeyOf(privateKeyPem: string): string {
  return String(createPublicKey(privateKeyPem).export({ format: 'jwk' }).x);
}

/** Turns `{count}` or `{tiers}` into VM specs named `<tier>-<i>` (`vm-<i>` for a plain count). */
export function vmSpecsOf(req: FleetCreateRequest): VmSpec[] {
  const parsed = FleetCreateRequestSchema.parse(req);
  if ('count' in parsed) {
    return Array.from({ length: parsed.count }, (_, i) => ({ name: `vm-${i}`, tier: 'vm', vcpus: 1, memMb: 512, diskMb: 1024, services: [] }));
  }
  return parsed.tiers.flatMap((t) =>
    Array.from({ length: t.count }, (_, i) => ({ name: `${t.name}-${i}`, tier: t.name, vcpus: t.vcpus, memMb: t.memMb, diskMb: t.diskMb, services: t.services })),
  );
}

export class FleetManager {
  private readonly onChange = new Set<(f: Fleet) => void>();
  constructor(
    private readonly store: Store,
    private readonly driver: VmDriver,
    private readonly metrics: Metrics,
    private readonly log: (msg: string) => void,
    readonly budget: CapacityBudget = new CapacityBudget(defaultBudget()),
  ) {}

  /** The host budget: what it is, what is used and free, how many runs wait. */
  capacity(): Capacity {
    return this.budget.snapshot();
  }

  /**
   * Creates a fleet and resolves when every VM is ready. Past the host budget: 429
   * CAPACITY_EXHAUSTED, or with `queue` a wait for capacity. On failure nothing is left
   * behind, and the error says only its code and an error id (details in the server log).
   */
  async create(specs: VmSpec[], opts: CreateFleetOptions = {}): Promise<Fleet> {
    // Held under a ticket until the fleet has its id (drawn when its record is inserted).
    const ticket = `pending-${randomBytes(6).toString('hex')}`;
    const need = needOf(specs);
    if (opts.queue) {
      let queued = false;
      await this.budget.waitFor(ticket, need, { signal: opts.queue.signal, onQueued: (c) => { queued = true; opts.queue?.onQueued?.(c); } });
      if (queued) opts.queue.onAdmitted?.();
    } else {
      this.budget.reserve(ticket, need);
    }
    let id = ticket;
    try {
      return await this.boot(specs, opts, (fleetId) => {
        this.budget.rekey(ticket, fleetId);
        id = fleetId;
      });
    } catch (e) {
      this.budget.release(id);
      throw e;
    }
  }

  private async boot(specs: VmSpec[], opts: CreateFleetOptions, named: (id: string) => void): Promise<Fleet> {
    const keys = generateAgentKeyPair();
    const doc: FleetDoc = { driver: this.driver.name, specs, vms: [], readyAt: null, bootMs: null, error: null, agentKey: keys.privateKeyPem };
    const rec = await this.insertNew(doc, opts.runId ?? null);
    const { id } = rec;
    named(id);
    const started = performance.now();
    try {
      // A trainee is root in the VM: they can read the public key, and it signs nothing.
      const agent = { publicKey: keys.publicKey };
      const vms = await this.driver.createFleet({ id, vms: specs, agent }, { onProgress: opts.onProgress });
      const bootMs = Math.round(performance.now() - started);
      doc.vms = vms.map((v) => ({ ...v, tier: specs.find((s) => s.name === v.name)?.tier ?? v.name.replace(/-\d+$/, '') }));
      doc.readyAt = new Date().toISOString();
      doc.bootMs = bootMs;
      rec.state = 'ready';
      this.metrics.fleetBootSeconds.observe({ driver: this.driver.name }, bootMs / 1000);
      await this.put(rec);
      return this.toApi(rec);
    } catch (e) {
      const err = publicError(e instanceof PuduError ? e : new PuduError('VM_START_FAILED', String((e as Error)?.message ?? e)), this.log, `fleet ${id} failed to start`);
      doc.error = `${err.code}: ${err.message}`;
      rec.state = 'failed';
      await this.driver.destroyFleet(id).catch((x: unknown) => this.log(`fleet ${id}: cleanup after failed create: ${String(x)}`));
      await this.put(rec);
      throw err;
    }
  }

  /** Destroys a fleet's VMs; deleting a deleted fleet is a no-op that returns it. */
  async delete(id: string): Promise<Fleet> {
    const rec = await this.getRecord(id);
    if (rec.state === 'deleted') return this.toApi(rec);
    if (rec.state === 'creating') throw new PuduError('CONFLICT', `fleet ${id} is still being created`);
    rec.state = 'deleting';
    await this.put(rec);
    await this.driver.destroyFleet(id);
    rec.state = 'deleted';
    await this.put(rec);
    this.budget.release(id);
    return this.toApi(rec);
  }

  async get(id: string): Promise<Fleet> {
    return this.toApi(await this.getRecord(id));
  }

  async list(): Promise<Fleet[]> {
    return (await this.store.listFleets()).map((r) => this.toApi(r));
  }

  /** The live VM with global index N, for the terminal. */
  async findVm(index: number): Promise<{ fleet: Fleet; vm: VmInfo & { tier: string } } | null> {
    for (const rec of await this.store.listFleets()) {
      if (rec.state !== 'ready') continue;
      const vm = (rec.doc as unknown as FleetDoc).vms.find((v) => v.index === index);
      if (vm) return { fleet: this.toApi(rec), vm };
    }
    return null;
  }

  /** What the host itself sees of one VM (drivers that can look: the sandbox); undefined otherwise. */
  async hostView(fleetId: string, vm: string): Promise<HostVmView | undefined> {
    return this.driver.hostView?.(fleetId, vm).catch(() => undefined);
  }

  /** Driver-level VM infos of a fleet (guest IPs, agent channels, host links) and the key its agents' requests are signed with. */
  /** Hands a ready fleet made for no run (the warm pool's) to `runId`. */
  async claim(id: string, runId: string): Promise<Fleet> {
    const rec = await this.getRecord(id);
    if (rec.state !== 'ready' || rec.runId !== null) throw new PuduError('CONFLICT', `fleet ${id} is not a free ready fleet`);
    rec.runId = runId;
    await this.put(rec);
    return this.toApi(rec);
  }

  async vmsOf(id: string): Promise<{ vms: (VmInfo & { tier: string })[]; agentKey: string; open?: (vm: string, to: VmStreamTarget) => Promise<Duplex> }> {
    const doc = (await this.getRecord(id)).doc as unknown as FleetDoc;
    // Drivers with no host route to their VMs (kubernetes) carry the streams themselves.
    const driver = this.driver;
    const open = driver.openStream ? (vm: string, to: VmStreamTarget) => driver.openStream!(id, vm, to) : undefined;
    return { vms: doc.vms, agentKey: doc.agentKey, ...(open ? { open } : {}) };
  }

  /**
   * After a restart: fleets caught mid-create or mid-delete are destroyed; ready fleets
   * are adopted — with a driver that can (adoptFleet), running VMs as they are and the
   * gone ones replaced at their old address; otherwise only if every VM still runs — and
   * hold their share of the budget again. A fleet that cannot be adopted is marked failed.
   */
  async reconcile(): Promise<void> {
    const live = this.driver.adoptFleet ? [] : await this.driver.listVms().catch(() => [] as VmInfo[]);
    for (const rec of await this.store.listFleets()) {
      if (rec.state === 'deleted' || rec.state === 'failed') continue;
      const doc = rec.doc as unknown as FleetDoc;
      if (rec.state === 'ready' && (await this.adopt(rec, live))) continue;
      this.log(`fleet ${rec.id}: was ${rec.state} when the server stopped; cleaning up`);
      await this.driver.destroyFleet(rec.id).catch((e: unknown) => this.log(`fleet ${rec.id}: cleanup failed: ${String(e)}`));
      doc.error = doc.error ?? `lost while the server was down (was ${rec.state})`;
      rec.state = rec.state === 'deleting' ? 'deleted' : 'failed';
      await this.put(rec);
    }
  }

  private async adopt(rec: FleetRecord, live: VmInfo[]): Promise<boolean> {
    const doc = rec.doc as unknown as FleetDoc;
    if (!this.driver.adoptFleet) {
      const alive = doc.vms.length > 0 && doc.vms.every((v) => live.some((l) => l.fleetId === rec.id && l.name === v.name && l.state === 'ready'));
      if (alive) {
        this.budget.hold(rec.id, needOf(doc.specs));
        this.log(`fleet ${rec.id}: adopted (${doc.vms.length} VMs still running)`);
      }
      return alive;
    }
    try {
      const r = await this.driver.adoptFleet({ id: rec.id, vms: doc.specs, agent: { publicKey: publicKeyOf(doc.agentKey) } });
      doc.vms = r.vms.map((v) => ({ ...v, tier: doc.specs.find((s) => s.name === v.name)?.tier ?? v.name.replace(/-\d+$/, '') }));
      doc.adopted = { at: new Date().toISOString(), replaced: r.replaced };
      await this.put(rec);
      this.budget.hold(rec.id, needOf(doc.specs));
      this.log(`fleet ${rec.id}: adopted (${r.vms.length - r.replaced.length} VM(s) still running${r.replaced.length ? `; replaced ${r.replaced.join(', ')}, which were gone` : ''})`);
      return true;
    } catch (e) {
      doc.error = `${publicError(e, this.log, `fleet ${rec.id}: adoption failed`).message}`;
      return false;
    }
  }

  /** What the last adoption of a fleet replaced (empty when every VM was still running, undefined when it was not adopted). */
  async adoption(id: string): Promise<FleetDoc['adopted']> {
    return ((await this.getRecord(id)).doc as unknown as FleetDoc).adopted;
  }

  subscribe(fn: (f: Fleet) => void): () => void {
    this.onChange.add(fn);
    return () => this.onChange.delete(fn);
  }

  private async getRecord(id: string): Promise<FleetRecord> {
    const rec = await this.store.getFleet(id);
    if (!rec) throw new PuduError('FLEET_NOT_FOUND', `no fleet ${id}`);
    return rec;
  }

  /** Stores a new fleet under a fresh id; an id already taken (a past fleet's) is never overwritten. */
  private async insertNew(doc: FleetDoc, runId: string | null): Promise<FleetRecord> {
    const rec = await insertUnderFreshId('f', 'fleet',
      (id): FleetRecord => ({ id, state: 'creating', runId, createdAt: new Date().toISOString(), doc: doc as unknown as Record<string, unknown> }),
      (r) => this.store.insertFleet(r));
    for (const fn of this.onChange) fn(this.toApi(rec));
    return rec;
  }

  private async put(rec: FleetRecord): Promise<void> {
    await this.store.putFleet(rec);
    const api = this.toApi(rec);
    for (const fn of this.onChange) fn(api);
  }

  private toApi(rec: FleetRecord): Fleet {
    const doc = rec.doc as unknown as FleetDoc;
    const vmState = rec.state === 'deleted' ? 'stopped' : rec.state === 'failed' ? 'failed' : undefined;
    return {
      id: rec.id,
      state: rec.state,
      driver: doc.driver,
      runId: rec.runId,
      createdAt: rec.createdAt,
      readyAt: doc.readyAt,
      bootMs: doc.bootMs,
      error: doc.error,
      vms: doc.vms.map((v) => ({ name: v.name, tier: v.tier, index: v.index, guestIp: v.guestIp, hostIp: v.hostIp, hostLink: v.hostLink, state: vmState ?? v.state, driver: v.driver })),
    };
  }
}
