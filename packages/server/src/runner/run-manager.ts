/**
 * Scenario runs: parse → compile → provision the fleet → run the clock → end and tear down.
 * Owns the live ActiveRun objects; everything they know is in the store, so `resumeAll`
 * after a restart (even after SIGKILL) continues each run with its clock intact.
 */
import { insertUnderFreshId } from '../store/fresh-id.ts';
import { PuduError, type RunMetrics, type RunStatus, type ScenarioRunRequest, ScenarioRunRequestSchema } from '@pudu/schema';
import { isLive, newRunProgress, type Actor, type CompiledScenario } from '@pudu/engine';
import type { Store } from '../store/store.ts';
import type { FleetManager } from '../fleets/fleet-manager.ts';
import type { Metrics } from '../metrics.ts';
import type { Library } from '../library.ts';
import type { EventBus } from './event-bus.ts';
import type { AgentFactory } from './agent-port.ts';
import { ActiveRun, type RunDeps } from './active-run.ts';
import { AgentLink } from './agent-link.ts';
import { seedHistory } from './seed-history.ts';
import { parseRunDoc, toRunStatus, type RunDoc } from './run-doc.ts';
import { createToken, TRAINEE_GRACE_MS, type Principal } from '../auth/tokens.ts';
import { compileOrThrow, scenarioText } from '../policy/scenario-source.ts';
import type { WarmPool } from '../warm-pool.ts';
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
  /** The policy's check before each fault (see RunDeps.checkFault). */
  checkFault?: RunDeps['checkFault'];
  /** Ready fleets by shape (`--warm-pool`): a run takes one instead of booting. */
  warmPool?: Pick<WarmPool, 'take'>;
}

/** A trainee token's upper bound covers booting the fleet before the clock starts. */
const TRAINEE_PROVISIONING_ALLOWANCE_MS = 30 * 60_000;

export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  /** Refuses new runs while halt-all is engaged (set by the server once its HaltSwitch exists). */
  haltGuard: (what: string) => void = () => undefined;
  private readonly pending = new Set<Promise<unknown>>();
  /** Runs waiting for the host budget: their place in line is given up when they end. */
  private readonly waiting = new Map<string, AbortController>();

  constructor(private readonly d: Deps) {}

  /** Validates and compiles the scenario, records the run, and provisions in the background. */
  async start(input: ScenarioRunRequest, by: Principal, link: { experimentId?: string; actor?: Actor } = {}): Promise<{ run: RunStatus; traineeToken: string }> {
    const req = ScenarioRunRequestSchema.parse(input);
    this.haltGuard('a new run is');
    const { yaml, file } = await scenarioText(this.d.library, req);
    const compiled = compileOrThrow(yaml, file, { seed: req.seed });
    // The policy decides before anything exists: a refused run leaves nothing behind.
    const governance = this.d.authorize(compiled, req.environment, link.actor ?? by, link.experimentId ?? null);
    const createdAt = new Date().toISOString();
    const build = (id: string): RunDoc => ({
      id, createdAt, file, yaml, compiled, keepFleet: req.keepFleet, createdBy: `${by.name} (${by.id})`, governance,
      ...newRunProgress(compiled),
    });
    // Run ids outlive their runs (audit, recordings, reports): a taken id is never overwritten.
    const doc = await insertUnderFreshId('r', 'run', build,
      (d) => this.d.store.insertRun({ id: d.id, state: d.state, createdAt, doc: d as unknown as Record<string, unknown> }));
    const { id } = doc;
    // It also dies with the run (plus a grace); this bound holds even if the run never ends.
    const ttlMs = compiled.timeLimitMs + TRAINEE_PROVISIONING_ALLOWANCE_MS + TRAINEE_GRACE_MS;
    const { token } = await createToken(this.d.store, { role: 'trainee', name: `trainee-${id}`, runId: id, ttlMs });
    await this.d.bus.publish(id, 'run.created', { scenarioId: compiled.id, title: compiled.title, seed: compiled.seed, by: doc.createdBy });
    const run = this.attach(doc);
    this.track(this.provision(run));
    return { run: await this.status(id), traineeToken: token };
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private attach(doc: RunDoc): ActiveRun {
    const run = new ActiveRun(doc, {
      ...this.d,
      onTornDown: (r) => {
        if (this.active.get(r.doc.id) === r) this.active.delete(r.doc.id);
        this.waiting.get(r.doc.id)?.abort(new PuduError('RUN_NOT_ACTIVE', `run ${r.doc.id} ended while it waited for capacity`));
      },
    });
    this.active.set(doc.id, run);
    return run;
  }

  /**
   * Creates the fleet from the scenario's tiers; the run's clock starts when it is ready.
   * Past the host budget the run waits in line (`queued`) instead of failing.
   */
  private async provision(run: ActiveRun): Promise<void> {
    const doc = run.doc;
    await this.d.bus.publish(doc.id, 'fleet.provisioning', { vms: doc.compiled.vms.map((v) => v.name) });
    let fleet;
    const line = new AbortController();
    this.waiting.set(doc.id, line);
    try {
      fleet = (await this.d.warmPool?.take(doc.compiled.vms, doc.id)) ?? await this.d.fleets.create(doc.compiled.vms, {
        runId: doc.id,
        onProgress: (msg) => void this.d.bus.publish(doc.id, 'fleet.progress', { message: msg }).catch(() => undefined),
        queue: {
          signal: line.signal,
          onQueued: (capacity) => void run.observe([{ kind: 'fleet-queued', capacity }]).catch(() => undefined),
          onAdmitted: () => void run.observe([{ kind: 'fleet-admitted' }]).catch(() => undefined),
        },
      });
    } catch (e) {
      if (line.signal.aborted) return;
      await run.observe([{ kind: 'fleet-failed', error: `fleet provisioning failed: ${(e as Error).message}` }]);
      return;
    } finally {
      this.waiting.delete(doc.id);
    }
    await seedHistory(this.d, doc, fleet.id);
    await this.d.bus.publish(doc.id, 'fleet.ready', { fleetId: fleet.id, bootMs: fleet.bootMs, vms: fleet.vms.map((v) => ({ name: v.name, index: v.index, guestIp: v.guestIp })) });
    await run.observe([{ kind: 'fleet-ready', fleetId: fleet.id }]);
  }

  /**
   * The run's VMs did not survive the restart (a driver whose VMs die with their owner):
   * boot a fresh fleet and re-inject every fault due so far. The clock keeps running.
   */
  private async reprovision(run: ActiveRun): Promise<void> {
    const doc = run.doc;
    await this.d.bus.publish(doc.id, 'fleet.lost', { fleetId: doc.fleetId, why: 'its VMs did not survive the server restart; booting a replacement' });
    await run.observe([{ kind: 'fleet-lost' }]);
    let fleet;
    try {
      fleet = await this.d.fleets.create(doc.compiled.vms, { runId: doc.id });
    } catch (e) {
      await run.observe([{ kind: 'fleet-failed', error: `the fleet was lost in a server restart and could not be replaced: ${(e as Error).message}` }]);
      return;
    }
    await seedHistory(this.d, doc, fleet.id);
    await this.d.bus.publish(doc.id, 'fleet.ready', { fleetId: fleet.id, bootMs: fleet.bootMs, replacement: true, vms: fleet.vms.map((v) => ({ name: v.name, index: v.index, guestIp: v.guestIp })) });
    await run.observe([{ kind: 'fleet-ready', fleetId: fleet.id }]);
  }

  private async loadDoc(id: string): Promise<RunDoc> {
    const live = this.active.get(id);
    if (live) return live.doc;
    const rec = await this.d.store.getRun(id);
    if (!rec) throw new PuduError('RUN_NOT_FOUND', `no run ${id}`);
    return parseRunDoc(id, rec.doc);
  }

  async status(id: string): Promise<RunStatus> {
    const doc = await this.loadDoc(id);
    const fleet = doc.fleetId ? await this.d.fleets.get(doc.fleetId).catch(() => null) : null;
    const vms = fleet?.state === 'ready' ? fleet.vms : [];
    const traffic = doc.state === 'running' ? this.active.get(id)?.trafficReport() ?? null : null;
    return toRunStatus(doc, vms.map((v) => ({ name: v.name, index: v.index, guestIp: v.guestIp, hostLink: v.hostLink })), Date.now(), traffic);
  }

  /** The trainee's answer to the root-cause question (during the review after the fix). */
  async answerRootCause(id: string, answer: number | string): Promise<{ correct: boolean; points: number }> {
    const run = this.active.get(id);
    const doc = await this.loadDoc(id);
    if (!run) throw new PuduError('RUN_NOT_ACTIVE', `run ${id} is ${doc.state} and its review is over`);
    return run.answerRootCause(answer);
  }

  /** Ends the review after the fix: the fleet goes now. */
  async endReview(id: string): Promise<RunStatus> {
    const run = this.active.get(id);
    const doc = await this.loadDoc(id);
    if (run) await run.endReview();
    else if (doc.state !== 'resolved') throw new PuduError('RUN_NOT_ACTIVE', `run ${id} is ${doc.state}: no review to end`);
    return this.status(id);
  }

  /** Reads every VM's agent metrics now (the UI's charts); a VM that does not answer gets its error. */
  async metrics(id: string): Promise<RunMetrics> {
    const doc = await this.loadDoc(id);
    const status = await this.status(id);
    const link = this.active.get(id)?.link ?? new AgentLink(this.d.fleets, this.d.agentFactory);
    if (status.vms.length) await link.sync(doc.fleetId).catch(() => undefined);
    const vms = await Promise.all(status.vms.map(async (v) => {
      try {
        const m = await link.agent(v.name).metrics();
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
    for (const rec of await this.d.store.listRuns()) {
      try {
        out.push(toRunStatus(this.active.get(rec.id)?.doc ?? parseRunDoc(rec.id, rec.doc), []));
      } catch (e) {
        this.d.log(`run list: ${(e as Error).message}`);
      }
    }
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
    if (!run) throw new PuduError('RUN_NOT_ACTIVE', `run ${id} is ${doc.state}`);
    await run.abort(`aborted by ${by.name}`);
    return this.status(id);
  }

  /** Halt-all: every live run ends `halted` through its own loop, all at once. */
  async haltAll(reason: string): Promise<{ runs: string[]; faultsReverted: number }> {
    const live = [...this.active.values()].filter((r) => isLive(r.doc));
    const activeFaults = (r: ActiveRun): number => Object.values(r.doc.faults).filter((p) => p.state === 'active').length;
    const counts = await Promise.all(live.map(async (r) => {
      const before = activeFaults(r);
      await r.observe([{ kind: 'halt', reason }]);
      return before - activeFaults(r);
    }));
    return { runs: live.map((r) => r.doc.id), faultsReverted: counts.reduce((a, b) => a + b, 0) };
  }

  /** At startup: resume running runs with their clocks, re-provision interrupted ones, finish teardowns. */
  async resumeAll(): Promise<void> {
    for (const rec of await this.d.store.listRuns()) {
      let doc: RunDoc;
      try {
        doc = parseRunDoc(rec.id, rec.doc);
      } catch (e) {
        this.d.log(`not resumed: ${(e as Error).message}`);
        continue;
      }
      if (doc.state === 'running' || doc.state === 'preflight') {
        const fleetOk = doc.fleetId ? (await this.d.fleets.get(doc.fleetId).catch(() => null))?.state === 'ready' : false;
        const run = this.attach(doc);
        await run.observe([{ kind: 'resumed' }]);
        if (!fleetOk) {
          this.track(this.reprovision(run));
          continue;
        }
        const adopted = await this.d.fleets.adoption(doc.fleetId!);
        // VMs booted afresh get their past too (the adopted ones keep theirs: the agent writes it once).
        if (adopted?.replaced.length) await seedHistory(this.d, doc, doc.fleetId!);
        if (adopted) await run.observe([{ kind: 'fleet-adopted', fleetId: doc.fleetId!, replaced: adopted.replaced }]);
        this.d.log(`run ${doc.id}: resumed at ${Math.round((Date.now() - (doc.startedAtMs ?? Date.now())) / 1000)} s on its clock`);
      } else if (doc.state === 'provisioning' || doc.state === 'queued') {
        // The half-created fleet was destroyed by fleet reconcile (or none was made yet): the clock never started.
        // A queued run takes its place in line again (it is told `fleet-queued` anew if it must wait).
        const run = this.attach(doc);
        if (doc.state === 'queued') await run.observe([{ kind: 'fleet-admitted' }]);
        this.track(this.provision(run));
      } else if (!doc.tornDown) {
        this.track(this.attach(doc).observe([{ kind: 'resumed' }]));
      }
    }
  }

  /** Server shutdown: stop the clocks (runs resume at the next start) and let in-flight work settle. */
  async stopAll(): Promise<void> {
    for (const r of this.active.values()) r.stop();
    await Promise.allSettled([...this.pending]);
  }
}
