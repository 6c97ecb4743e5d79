/**
 * Fleets over a VmDriver, with every state change persisted first: a fleet the server
 * was creating or deleting when it died is finished off (destroyed) at the next start,
 * and a ready fleet whose VMs still run is adopted again.
 */
import { randomBytes } from 'node:crypto';
import { generateAgentKeyPair } from '@pudu/agent';
import { PuduError, type Fleet, type FleetCreateRequest, FleetCreateRequestSchema } from '@pudu/schema';
import type { HostVmView, VmDriver, VmInfo, VmSpec } from '@pudu/drivers';
import type { FleetRecord, Store } from '../store/store.ts';
import type { Metrics } from '../metrics.ts';

/** 48 random bits: fleet ids are kept with their audit trail, so they must not come round again. */
const FLEET_ID_BYTES = 6;
const FLEET_ID_ATTEMPTS = 5;

function newFleetId(): string {
  return `f${randomBytes(FLEET_ID_BYTES).toString('hex')}`;
}

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
  ) {}

  /** Creates a fleet and resolves when every VM is ready. On failure nothing is left behind. */
  async create(specs: VmSpec[], opts: { runId?: string | null; onProgress?: (msg: string) => void } = {}): Promise<Fleet> {
    const keys = generateAgentKeyPair();
    const doc: FleetDoc = { driver: this.driver.name, specs, vms: [], readyAt: null, bootMs: null, error: null, agentKey: keys.privateKeyPem };
    const rec = await this.insertNew(doc, opts.runId ?? null);
    const { id } = rec;
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
      doc.error = e instanceof Error ? e.message : String(e);
      rec.state = 'failed';
      await this.driver.destroyFleet(id).catch((err: unknown) => this.log(`fleet ${id}: cleanup after failed create: ${String(err)}`));
      await this.put(rec);
      if (e instanceof PuduError) throw e;
      throw new PuduError('VM_START_FAILED', `fleet ${id} failed to start: ${doc.error}`);
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

  async vmsOf(id: string): Promise<{ vms: (VmInfo & { tier: string })[]; agentKey: string }> {
    const doc = (await this.getRecord(id)).doc as unknown as FleetDoc;
    return { vms: doc.vms, agentKey: doc.agentKey };
  }

  /**
   * After a restart: fleets caught mid-create or mid-delete are destroyed; ready fleets
   * whose VMs the driver still sees are adopted, the others marked failed and cleaned.
   */
  async reconcile(): Promise<void> {
    const live = await this.driver.listVms().catch(() => [] as VmInfo[]);
    for (const rec of await this.store.listFleets()) {
      if (rec.state === 'deleted' || rec.state === 'failed') continue;
      const doc = rec.doc as unknown as FleetDoc;
      const alive = doc.vms.length > 0 && doc.vms.every((v) => live.some((l) => l.fleetId === rec.id && l.name === v.name && l.state === 'ready'));
      if (rec.state === 'ready' && alive) {
        this.log(`fleet ${rec.id}: adopted (${doc.vms.length} VMs still running)`);
        continue;
      }
      this.log(`fleet ${rec.id}: was ${rec.state} when the server stopped; cleaning up`);
      await this.driver.destroyFleet(rec.id).catch((e: unknown) => this.log(`fleet ${rec.id}: cleanup failed: ${String(e)}`));
      doc.error = doc.error ?? `lost while the server was down (was ${rec.state})`;
      rec.state = rec.state === 'deleting' ? 'deleted' : 'failed';
      await this.put(rec);
    }
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
    for (let attempt = 0; attempt < FLEET_ID_ATTEMPTS; attempt++) {
      const rec: FleetRecord = { id: newFleetId(), state: 'creating', runId, createdAt: new Date().toISOString(), doc: doc as unknown as Record<string, unknown> };
      if (await this.store.insertFleet(rec)) {
        for (const fn of this.onChange) fn(this.toApi(rec));
        return rec;
      }
    }
    throw new PuduError('INTERNAL', `no free fleet id after ${FLEET_ID_ATTEMPTS} attempts`);
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
