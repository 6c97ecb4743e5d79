/**
 * Assembles and starts the server: store → fleets (reconciled) → runs (resumed) → HTTP,
 * WebSocket terminal, metrics. `close()` stops the clocks but leaves runs to resume.
 * On PostgreSQL several replicas may share the database: each serves HTTP at once, only
 * the elected leader reconciles, resumes and runs the loops, the others forward to it
 * (leader/).
 */
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import type { FastifyInstance } from 'fastify';
import { PuduError, type CapacityResources } from '@pudu/schema';
import type { VmDriver } from '@pudu/drivers';
import { openStore } from './store/sql-store.ts';
import { createMetrics } from './metrics.ts';
import { HaltSwitch } from './runner/halt-switch.ts';
import { FleetManager } from './fleets/fleet-manager.ts';
import { CapacityBudget, defaultBudget } from './fleets/capacity-budget.ts';
import { RunManager } from './runner/run-manager.ts';
import { EventBus } from './runner/event-bus.ts';
import { Library } from './library.ts';
import { createApp } from './http/app.ts';
import { createHandlers } from './http/handlers.ts';
import { attachTerminal } from './http/terminal-ws.ts';
import { ensureAdminToken, TRAINEE_GRACE_MS } from './auth/tokens.ts';
import type { AgentFactory } from './runner/agent-port.ts';
import type { ServerContext } from './context.ts';
import { Recordings } from './recordings/recorder.ts';
import { RecordingStore } from './recordings/recording-store.ts';
import { TerminalHub } from './terminals/terminal-hub.ts';
import { createLogger, type Logger } from './http/access-log.ts';
import { capacityProbe, vmCounts } from './capacity.ts';
import { countOverdueFaults } from './overdue-faults.ts';
import { WarmPool, parseWarmPoolSpec } from './warm-pool.ts';
import { parseRunDoc } from './runner/run-doc.ts';
import { checkTlsPair } from './config-check.ts';
import { HistorySampler } from './history/sampler.ts';
import { HistoryStore } from './history/history-store.ts';
import { NotesStore } from './reports/notes-store.ts';
import { Webhooks, type WebhookConfig, type WebhookOptions } from './webhooks/webhooks.ts';
import { WebhookStore } from './webhooks/webhook-store.ts';
import { PolicySource } from './policy/policy-source.ts';
import { authorizeRun, checkRunFault } from './policy/enforce.ts';
import { ExperimentManager } from './experiments/experiment-manager.ts';
import { ExperimentStore } from './experiments/experiment-store.ts';
import { SsoService } from './auth/sso.ts';
import { actorOf } from '@pudu/engine';
import type { Principal } from './auth/tokens.ts';
import { GameDays } from './gamedays/gameday-manager.ts';
import { newReplicaId, pgLeadership, type Leadership } from './leader/leadership.ts';
import { createForwarder, type Role } from './leader/forward.ts';

export const PUDU_VERSION = '0.1.0';

/** How long a PostgreSQL replica waits at start to see whether it leads (the first try takes one connection and one query). */
const FIRST_ELECTION_WAIT_MS = 3000;

/** Who starts an auto-start experiment at its window (the run still gets the proposer's permissions). */
const SCHEDULER: Principal = { id: 'scheduler', name: 'pudu-scheduler', role: 'admin', policyRole: 'admin', user: 'pudu-scheduler', groups: [], runId: null, expiresAt: null };

export interface ServerOptions {
  host: string;
  port: number;
  /** SQLite file path or `postgres://…`. */
  database: string;
  driver: VmDriver;
  agentFactory: AgentFactory;
  libraryDir: string;
  webDir: string;
  allowedOrigins?: string[];
  /** Webhooks from the command line or a config file (more can be added through the API). */
  webhooks?: WebhookConfig[];
  webhookOptions?: WebhookOptions;
  log?: (msg: string) => void;
  /** Structured logger (access log); default silent — the CLI passes one at --log-level. */
  logger?: Logger;
  /** Serve HTTPS with these PEM files; `reloadTls()` reads them again. */
  tls?: { certFile: string; keyFile: string };
  /** Proxies (IPs/CIDRs) whose X-Forwarded-For/-Proto are believed. */
  trustProxy?: string[];
  /** The VM network base (capacity: free indexes in it). */
  networkBase?: string;
  /** Host budget overrides (`--capacity`); the rest comes from the host's size. */
  capacity?: Partial<CapacityResources>;
  /** Blast-radius policy file (`--policy`); absent = the built-in default (training only). */
  policyFile?: string;
  /** `--warm-pool`: ready fleets to keep per library scenario (`disk-full:3,db-connection-exhaustion:2`). */
  warmPool?: string;
  /** How long a trainee token outlives its run (default 15 min). */
  traineeGraceMs?: number;
  /** PostgreSQL replicas: the URL the other replicas forward to (default: the address this one listens on). */
  advertiseUrl?: string;
  /** PostgreSQL replicas: leadership was lost after it was won (default: close and exit 1, for the service manager to restart a follower). */
  onLeadershipLost?: (why: string) => void;
}

export interface RunningServer {
  url: string;
  ctx: ServerContext;
  app: FastifyInstance;
  /** The admin token when this start created it (first start), else null. */
  adminToken: string | null;
  /** Reads the TLS files again and serves new connections with them; throws (keeping the old pair) when they are bad. */
  reloadTls(): Promise<void>;
  /** leader (runs the loops), taking-over (just elected, resuming), follower (forwards); SQLite: always leader. */
  role(): Role;
  replicaId: string;
  close(): Promise<void>;
}

function readTls(t: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const bad = checkTlsPair(t.certFile, t.keyFile);
  const problem = bad.cert ?? bad.key;
  if (problem) throw new PuduError('CONFIG_INVALID', `TLS: ${problem}`);
  return { cert: readFileSync(t.certFile), key: readFileSync(t.keyFile) };
}

/** Starts the server and resolves once it listens (after fleets are reconciled and runs resumed). */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const logger = o.logger ?? createLogger('silent');
  const log = o.log ?? ((m: string) => console.error(`pudu: ${m}`));
  const tls = o.tls ? readTls(o.tls) : undefined;
  // A policy that does not validate stops the start here, before anything is touched.
  const policy = new PolicySource(o.policyFile ?? null, log);
  const store = await openStore(o.database);
  const budget = new CapacityBudget({ ...defaultBudget(), ...o.capacity });
  log(`host budget: ${budget.budget.vms} VMs, ${budget.budget.vcpus} vCPUs, ${budget.budget.memMb} MB of VM memory${o.capacity && Object.keys(o.capacity).length ? ' (--capacity)' : ' (from the host\'s size; --capacity overrides)'}`);
  const metrics = createMetrics({
    countRuns: async () => {
      const counts: Record<string, number> = {};
      for (const r of await store.listRuns()) counts[r.state] = (counts[r.state] ?? 0) + 1;
      return counts;
    },
    vms: vmCounts(() => budget.snapshot(), o.networkBase),
    faultsOverdue: async () => {
      const docs = [];
      for (const r of await store.listRuns()) {
        // A document that does not parse is reported by the run loop; it holds nothing countable here.
        try {
          docs.push(parseRunDoc(r.id, r.doc));
        } catch { /* named elsewhere */ }
      }
      return countOverdueFaults(docs, Date.now());
    },
    haltEngaged: async () => halt.engaged(),
  });
  const bus = new EventBus(store);
  const countEvents = bus.subscribe('*', (ev) => metrics.runEvents.inc({ kind: ev.kind }));
  const library = new Library(o.libraryDir);
  const fleets = new FleetManager(store, o.driver, metrics, log, budget);
  const capacity = capacityProbe(() => budget.snapshot(), o.networkBase);
  const warmPool = o.warmPool ? new WarmPool({ fleets, library, agentFactory: o.agentFactory, canStart: async () => (await capacity()).canStart, log }) : undefined;
  if (warmPool) await warmPool.configure(parseWarmPoolSpec(o.warmPool!));
  const runs = new RunManager({
    store, fleets, metrics, library, bus, agentFactory: o.agentFactory, log, warmPool,
    authorize: (plan, env, who, experimentId) => authorizeRun(policy, plan, env, 'names' in who ? who : actorOf(policy.spec(), who.policyRole, who.groups), experimentId),
    checkFault: (doc, fault) => checkRunFault(policy, doc.compiled, fault, doc.governance ?? null),
  });
  // Webhooks exist only further down; the switch is engaged only once the server answers.
  const halt = new HaltSwitch({ store, runs, fleets, agentFactory: o.agentFactory, log, onEngaged: (s) => void webhooks.emit('halt.engaged', null, { reason: s.reason, by: s.by, at: s.at }) });
  runs.haltGuard = (what) => halt.assertNotHalted(what);
  const experiments = new ExperimentManager({
    store: new ExperimentStore(store.db), policy, library, log,
    startRun: (input, by, link) => runs.start({ ...input, keepFleet: false }, by, link),
    audit: async (actor, action, target, detail) => void (await store.appendAudit({ actor, role: 'system', action, target, result: 'ok', detail })),
  });
  const sso = new SsoService(policy, store, log);
  const recordings = new Recordings(new RecordingStore(store.db), log);
  const terminals = new TerminalHub({ store, bus, recordings, log });
  const webhooks = new Webhooks(new WebhookStore(store.db), bus, o.webhooks ?? [], o.webhookOptions ?? {}, log);
  const history = new HistorySampler(new HistoryStore(store.db), { bus, runs, log });
  const ctx: ServerContext = {
    version: PUDU_VERSION, store, driver: o.driver, metrics, fleets, runs, library, bus, recordings, terminals, history, notes: new NotesStore(store.db), webhooks,
    webDir: o.webDir, allowedOrigins: o.allowedOrigins ?? [], log, logger,
    capacity,
    warmPool,
    policy, traineeGraceMs: o.traineeGraceMs ?? TRAINEE_GRACE_MS,
    experiments, sso, halt,
    // Set just below: the game days need the finished context.
    gamedays: undefined as unknown as GameDays,
  };
  ctx.gamedays = new GameDays(ctx);
  const adminToken = await ensureAdminToken(store);
  // What only the leader does: it owns the VMs, the clocks and every background loop.
  const lead = async (): Promise<void> => {
    await recordings.store.endAllOpen(new Date().toISOString());
    await fleets.reconcile();
    await halt.load();
    await runs.resumeAll();
    await halt.reassert();
    warmPool?.refill();
    await history.start();
    webhooks.start();
    experiments.startScheduler(SCHEDULER);
    ctx.gamedays.start();
  };
  const replicated = store.kind === 'postgres';
  const replicaId = newReplicaId();
  let role: Role = replicated ? 'follower' : 'leader';
  if (replicated) ctx.replica = { id: replicaId, role: () => role };
  if (!replicated) await lead();
  let leadership: Leadership | undefined;
  const app = createApp(ctx, createHandlers(ctx), { https: tls, trustProxy: o.trustProxy });
  const forwarder = replicated ? createForwarder({ role: () => role, replicaId, leaderUrl: async () => (await leadership?.leader())?.url ?? null, log }) : undefined;
  if (forwarder) {
    app.addHook('onRequest', async (req, reply) => {
      if (await forwarder.http(req, reply)) return reply;
    });
  }
  const detachTerminal = attachTerminal(ctx, app.server, forwarder && ((req, socket, head) => forwarder.upgrade(req, socket, head)));
  await app.listen({ host: o.host, port: o.port });
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${tls ? 'https' : 'http'}://${host}:${addr.port}`;
  const close = async (): Promise<void> => {
    await leadership?.stop();
    history.stop();
    ctx.gamedays.stop();
    await webhooks.close();
    experiments.stopScheduler();
    countEvents();
    await warmPool?.close();
    await runs.stopAll();
    detachTerminal();
    await app.close();
    await store.close();
  };
  if (replicated) {
    const onLost = o.onLeadershipLost ?? ((why: string) => {
      // Loops that may already run elsewhere cannot be stopped half-way safely: leave, and come back as a follower.
      log(`leader: exiting (${why})`);
      void close().finally(() => process.exit(1));
    });
    leadership = pgLeadership({ url: o.database, replicaId, store, advertiseUrl: o.advertiseUrl ?? url, log, onLost });
    log(`leader: replica ${replicaId} serves as a follower until it wins the election`);
    const takeOver = leadership.elected().then(async () => {
      role = 'taking-over';
      try {
        await lead();
        role = 'leader';
        log(`leader: replica ${replicaId} resumed the runs and leads`);
      } catch (e) {
        onLost(`resuming as the new leader failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    // A lone server (or the first replica) wins its first try: it then returns leading, as on SQLite.
    let timer: NodeJS.Timeout | undefined;
    const won = await Promise.race([leadership.elected().then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), FIRST_ELECTION_WAIT_MS)))]);
    clearTimeout(timer);
    if (won) await takeOver;
  }
  return {
    url,
    ctx,
    app,
    adminToken,
    role: () => role,
    replicaId,
    async reloadTls() {
      if (!o.tls) throw new PuduError('CONFIG_INVALID', 'TLS is not enabled (no --tls-cert/--tls-key)');
      (app.server as HttpsServer).setSecureContext(readTls(o.tls));
      log(`TLS: reloaded ${o.tls.certFile}`);
    },
    close,
  };
}
