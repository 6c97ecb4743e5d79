/**
 * Scenario runs: parse → compile → provision the fleet → run the clock → end and tear down.
 * Owns the live ActiveRun objects; everything they know is in the store, so `resumeAll`
 * after a restart (even after SIGKILL) continues each run with its clock intact.
 */
import { randomBytes } from 'node:crypto';
import { PuduError, type RunMetrics, type RunStatus, type ScenarioRunRequest, ScenarioRunRequestSchema } from '@pudu/schema';
import type { Actor, CompiledScenario } from '@pudu/engine';
import type { Store } from '../store/store.ts';
import type { FleetManager } from '../fleets/fleet-manager.ts';
import type { Metrics } from '../metrics.ts';
import type { Library } from '../library.ts';
import type { EventBus } from './event-bus.ts';
import type { AgentFactory, AgentPort, AgentTarget } from './agent-port.ts';
import { ActiveRun } from './active-run.ts';
import { faultKey, toRunStatus, type RunDoc } from './run-doc.ts';
import { createToken, TRAINEE_GRACE_MS, type Principal } from '../auth/tokens.ts';
import { compileOrThrow, scenarioText } from '../policy/scenario-source.ts';
import type { RunGovernance } from '../policy/enforce.ts';

interface Deps {
  store: Store;
  fleets: FleetManager;
  metrics: Metrics;
  library: Library;
  bus: EventBus;
  agentFactory: AgentFactory;
  log: (msg: string) => void;
  /** The policy's run-start decision (throws POLICY_DENIED / APPROVAL_REQUIRED). */
  authorize(plan: CompiledScenario, environment: string, who: Principal | Actor, experimentId: string | null): RunGovernance;
}

/** A trainee token's upper bound covers booting the fleet before the clock starts. */
const TRAINEE_PROVISIONING_ALLOWANCE_MS = 30 * 60_000;

export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  private readonly targets = new Map<string, Map<string, AgentTarget>>();
  private readonly agents = new Map<string, AgentPort>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly d: Deps) {}

  /** Validates and compiles the scenario, records the run, and provisions in the background. */
  async start(input: ScenarioRunRequest, by: Principal, link: { experimentId?: string; actor?: Actor } = {}): Promise<{ run: RunStatus; traineeToken: string }> {
    const req = ScenarioRunRequestSchema.parse(input);
    const { yaml, file } = await scenarioText(this.d.library, req);
    const compiled = compileOrThrow(yaml, file, { seed: req.seed });
    // The policy decides before anything exists: a refused run leaves nothing behind.
    const governance = this.d.authorize(compiled, req.environment, link.actor ?? by, link.experimentId ?? null);
    const id = `r${randomBytes(4).toString('hex')}`;
    const doc: RunDoc = {
      id, state: 'provisioning', createdAt: new Date().toISOString(), file, yaml, compiled, keepFleet: req.keepFleet,
      fleetId: null, startedAtMs: null, endedAtMs: null, resolvedAtMs: null, alertsFired: [],
      faults: Object.fromEntries(compiled.faults.map((f) => [faultKey(f), { state: 'pending' as const, error: null }])),
      objectives: {}, hintsUsed: 0, error: null, tornDown: false, createdBy: `${by.name} (${by.id})`, governance,
    };
    await this.persist(doc);
    // It also dies with the run (plus a grace); this bound holds even if the run never ends.
    const ttlMs = compiled.timeLimitMs + TRAINEE_PROVISIONING_ALLOWANCE_MS + TRAINEE_GRACE_MS;
    const { token } = await createToken(this.d.store, { role: 'trainee', name: `trainee-${id}`, runId: id, ttlMs });
    await this.d.bus.publish(id, 'run.created', { scenarioId: compiled.id, title: compiled.title, seed: compiled.seed, by: doc.createdBy });
    const run = this.attach(doc, false);
    this.track(this.provision(run));
    return { run: await this.status(id), traineeToken: token };
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private attach(doc: RunDoc, resumed: boolean): ActiveRun {
    const run = new ActiveRun(doc, {
      persist: (d) => this.persist(d),
      publish: async (kind, data) => void (await this.d.bus.publish(doc.id, kind, data)),
      agentFor: (vm) => this.agentFor(doc.id, vm),
      targets: () => this.targets.get(doc.id) ?? new Map(),
      destroyFleet: async () => {
        if (!doc.fleetId || doc.keepFleet) return;
        await this.d.fleets.delete(doc.fleetId);
        await this.d.bus.publish(doc.id, 'fleet.destroyed', { fleetId: doc.fleetId });
      },
      onFinished: (state, d) => {
        this.active.delete(d.id);
        // The runner's own decisions are mutations too: they go to the audit log with the API's.
        void this.d.store.appendAudit({
          actor: 'pudu-runner', role: 'system', action: `run.${state}`, target: `run ${d.id}`, result: state === 'failed' ? 'error' : 'ok',
          detail: d.error ?? (d.resolvedAtMs !== null ? `resolved after ${Math.round(d.resolvedAtMs / 1000)} s, ${d.hintsUsed} hint(s)` : ''),
        }).catch((e: unknown) => this.d.log(`audit write failed: ${String(e)}`));
        if (state === 'resolved' && d.resolvedAtMs !== null) this.d.metrics.timeToFixSeconds.observe({ scenario: d.compiled.id }, d.resolvedAtMs / 1000);
      },
      onFault: (type, result) => this.d.metrics.faultInjections.inc({ type, result }),
      onTornDown: () => {
        this.targets.delete(doc.id);
        for (const k of [...this.agents.keys()]) if (k.startsWith(`${doc.id}/`)) this.agents.delete(k);
      },
      log: this.d.log,
    }, resumed);
    this.active.set(doc.id, run);
    return run;
  }

  private agentFor(runId: string, vm: string): AgentPort {
    const key = `${runId}/${vm}`;
    let a = this.agents.get(key);
    if (!a) {
      const t = this.targets.get(runId)?.get(vm);
      if (!t) throw new PuduError('VM_NOT_FOUND', `run ${runId} has no VM ${vm}`);
      a = this.d.agentFactory(t);
      this.agents.set(key, a);
    }
    return a;
  }

  private async loadTargets(doc: RunDoc): Promise<void> {
    if (!doc.fleetId) return;
    const { vms, agentKey } = await this.d.fleets.vmsOf(doc.fleetId);
    const fleetId = doc.fleetId;
    this.targets.set(doc.id, new Map(vms.map((v) => [v.name, { vmName: v.name, guestIp: v.guestIp, agentPort: v.agentPort, agentSocket: v.agentSocket, hostLink: v.hostLink, agentKey, audience: `${fleetId}/${v.name}` }])));
  }

  /** Creates the fleet from the scenario's tiers, then starts the clock. */
  private async provision(run: ActiveRun): Promise<void> {
    const doc = run.doc;
    await this.d.bus.publish(doc.id, 'fleet.provisioning', { vms: doc.compiled.vms.map((v) => v.name) });
    try {
      const fleet = await this.d.fleets.create(doc.compiled.vms, {
        runId: doc.id,
        onProgress: (msg) => void this.d.bus.publish(doc.id, 'fleet.progress', { message: msg }).catch(() => undefined),
      });
      doc.fleetId = fleet.id;
      await this.persist(doc);
      await this.d.bus.publish(doc.id, 'fleet.ready', { fleetId: fleet.id, bootMs: fleet.bootMs, vms: fleet.vms.map((v) => ({ name: v.name, index: v.index, guestIp: v.guestIp })) });
      await this.loadTargets(doc);
    } catch (e) {
      await run.locked(() => run.finish('failed', null, `fleet provisioning failed: ${(e as Error).message}`));
      return;
    }
    await run.locked(async () => {
      if (doc.state !== 'provisioning') {
        // Aborted while the fleet booted: the earlier teardown had no fleet to destroy yet.
        doc.tornDown = false;
        await run.teardown();
        return;
      }
      doc.state = 'running';
      doc.startedAtMs = Date.now();
      await this.persist(doc);
      await this.d.bus.publish(doc.id, 'run.started', { timeLimitMs: doc.compiled.timeLimitMs });
    });
    if (doc.state === 'running') run.start();
  }

  /**
   * The run's VMs did not survive the restart (a driver whose VMs die with their owner):
   * boot a fresh fleet and re-inject every fault due so far. The clock keeps running.
   */
  private async reprovision(run: ActiveRun): Promise<void> {
    const doc = run.doc;
    await this.d.bus.publish(doc.id, 'fleet.lost', { fleetId: doc.fleetId, why: 'its VMs did not survive the server restart; booting a replacement' });
    await run.locked(async () => {
      doc.fleetId = null;
      for (const p of Object.values(doc.faults)) if (p.state === 'active') p.state = 'pending';
      await this.persist(doc);
    });
    try {
      const fleet = await this.d.fleets.create(doc.compiled.vms, { runId: doc.id });
      await run.locked(async () => {
        doc.fleetId = fleet.id;
        await this.persist(doc);
      });
      await this.loadTargets(doc);
      for (const k of [...this.agents.keys()]) if (k.startsWith(`${doc.id}/`)) this.agents.delete(k);
      await this.d.bus.publish(doc.id, 'fleet.ready', { fleetId: fleet.id, bootMs: fleet.bootMs, replacement: true, vms: fleet.vms.map((v) => ({ name: v.name, index: v.index, guestIp: v.guestIp })) });
      run.start();
    } catch (e) {
      await run.locked(() => run.finish('failed', null, `the fleet was lost in a server restart and could not be replaced: ${(e as Error).message}`));
    }
  }

  private async persist(doc: RunDoc): Promise<void> {
    await this.d.store.putRun({ id: doc.id, state: doc.state, createdAt: doc.createdAt, doc: doc as unknown as Record<string, unknown> });
  }

  private async loadDoc(id: string): Promise<RunDoc> {
    const live = this.active.get(id);
    if (live) return live.doc;
    const rec = await this.d.store.getRun(id);
    if (!rec) throw new PuduError('RUN_NOT_FOUND', `no run ${id}`);
    return rec.doc as unknown as RunDoc;
  }

  async status(id: string): Promise<RunStatus> {
    const doc = await this.loadDoc(id);
    const fleet = doc.fleetId ? await this.d.fleets.get(doc.fleetId).catch(() => null) : null;
    const vms = fleet?.state === 'ready' ? fleet.vms : [];
    return toRunStatus(doc, vms.map((v) => ({ name: v.name, index: v.index, guestIp: v.guestIp, hostLink: v.hostLink })));
  }

  /** Reads every VM's agent metrics now (the UI's charts); a VM that does not answer gets its error. */
  async metrics(id: string): Promise<RunMetrics> {
    const doc = await this.loadDoc(id);
    const status = await this.status(id);
    if (!this.targets.has(id) && doc.fleetId && status.vms.length) await this.loadTargets(doc).catch(() => undefined);
    const vms = await Promise.all(status.vms.map(async (v) => {
      try {
        const m = await this.agentFor(id, v.name).metrics();
        const metrics = { cpuPct: m.cpu_pct ?? 0, memUsedPct: m.mem_used_pct ?? 0, diskUsedPct: m.disk_used_pct ?? 0, diskFreeMb: m.disk_free_mb ?? 0, loadAvg1: m.load_avg_1 ?? 0 };
        return { vm: v.name, index: v.index, metrics, error: null };
      } catch (e) {
        return { vm: v.name, index: v.index, metrics: null, error: (e as Error).message };
      }
    }));
    return { vms };
  }

  /**
   * A trainee opened a terminal: the first one per run is when they started to investigate
   * (time to detect), recorded as an event and a metric.
   */
  async noteTerminalOpened(id: string, vm: string): Promise<void> {
    const run = this.active.get(id);
    if (!run || run.doc.state !== 'running' || run.doc.startedAtMs === null) return;
    const elapsedMs = Date.now() - run.doc.startedAtMs;
    const first = !(await this.d.store.listEvents(id, 0)).some((e) => e.kind === 'trainee.terminal');
    await this.d.bus.publish(id, 'trainee.terminal', { vm, elapsedMs, first });
    if (first) this.d.metrics.timeToDetectSeconds.observe({ scenario: run.doc.compiled.id }, elapsedMs / 1000);
  }

  async list(): Promise<RunStatus[]> {
    const out: RunStatus[] = [];
    for (const rec of await this.d.store.listRuns()) out.push(toRunStatus(this.active.get(rec.id)?.doc ?? (rec.doc as unknown as RunDoc), []));
    return out;
  }

  async hint(id: string): Promise<{ index: number; text: string; hintsUsed: number; hintsTotal: number; hintPenalty: number }> {
    const run = this.active.get(id);
    const doc = await this.loadDoc(id);
    if (!run) throw new PuduError('RUN_NOT_ACTIVE', `run ${id} is ${doc.state}`);
    const h = await run.takeHint();
    this.d.metrics.hintsTaken.inc({ scenario: doc.compiled.id });
    return { index: h.index, text: h.text, hintsUsed: doc.hintsUsed, hintsTotal: doc.compiled.hints.length, hintPenalty: h.penalty };
  }

  /** Aborts: the run ends, every fault is reverted and the fleet destroyed before this returns. */
  async abort(id: string, by: Principal): Promise<RunStatus> {
    const run = this.active.get(id);
    const doc = await this.loadDoc(id);
    if (!run || (doc.state !== 'running' && doc.state !== 'provisioning')) throw new PuduError('RUN_NOT_ACTIVE', `run ${id} is ${doc.state}`);
    await run.locked(() => run.finish('aborted', null, `aborted by ${by.name}`));
    return this.status(id);
  }

  /** At startup: resume running runs with their clocks, re-provision interrupted ones, finish teardowns. */
  async resumeAll(): Promise<void> {
    for (const rec of await this.d.store.listRuns()) {
      const doc = rec.doc as unknown as RunDoc;
      if (doc.state === 'running') {
        const fleetOk = doc.fleetId ? (await this.d.fleets.get(doc.fleetId).catch(() => null))?.state === 'ready' : false;
        const run = this.attach(doc, true);
        await this.loadTargets(doc);
        if (!fleetOk) {
          this.track(this.reprovision(run));
          continue;
        }
        this.d.log(`run ${doc.id}: resumed at ${Math.round((Date.now() - (doc.startedAtMs ?? Date.now())) / 1000)} s on its clock`);
        run.start();
      } else if (doc.state === 'provisioning') {
        // The half-created fleet was destroyed by fleet reconcile; the clock never started.
        const run = this.attach(doc, false);
        this.track(this.provision(run));
      } else if (!doc.tornDown) {
        const run = this.attach(doc, false);
        await this.loadTargets(doc).catch(() => undefined);
        this.track(run.teardown().finally(() => this.active.delete(doc.id)));
      }
    }
  }

  /** Server shutdown: stop the clocks (runs resume at the next start) and let in-flight work settle. */
  async stopAll(): Promise<void> {
    for (const r of this.active.values()) r.stop();
    await Promise.allSettled([...this.pending]);
  }
}
