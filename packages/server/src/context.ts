/** Everything a request handler or the runner needs, built once in main and passed down. */
import type { VmDriver } from '@pudu/drivers';
import type { Store } from './store/store.ts';
import type { Metrics } from './metrics.ts';
import type { FleetManager } from './fleets/fleet-manager.ts';
import type { RunManager } from './runner/run-manager.ts';
import type { Library } from './library.ts';
import type { EventBus } from './runner/event-bus.ts';
import type { PolicySource } from './policy/policy-source.ts';
import type { ExperimentManager } from './experiments/experiment-manager.ts';
import type { SsoService } from './auth/sso.ts';
import type { Recordings } from './recordings/recorder.ts';
import type { TerminalHub } from './terminals/terminal-hub.ts';
import type { Logger } from './http/access-log.ts';
import type { CapacityReport } from './capacity.ts';
import type { WarmPool } from './warm-pool.ts';
import type { HistorySampler } from './history/sampler.ts';
import type { NotesStore } from './reports/notes-store.ts';
import type { Webhooks } from './webhooks/webhooks.ts';
import type { GameDays } from './gamedays/gameday-manager.ts';
import type { HaltSwitch } from './runner/halt-switch.ts';

export interface ServerContext {
  version: string;
  store: Store;
  driver: VmDriver;
  metrics: Metrics;
  fleets: FleetManager;
  runs: RunManager;
  library: Library;
  bus: EventBus;
  /** Terminal recordings of runs (asciicast v2 in the store). */
  recordings: Recordings;
  /** Live, shared terminal sessions (drop-in, take the keyboard). */
  terminals: TerminalHub;
  /** Per-VM metric history of runs. */
  history: HistorySampler;
  /** Post-mortem notes of runs. */
  notes: NotesStore;
  /** Signed notifications of run and game-day events. */
  webhooks: Webhooks;
  /** Game days (cohorts): one scenario and seed for N trainees, queued for capacity. */
  gamedays: GameDays;
  /** `--warm-pool`'s ready fleets, when configured. */
  warmPool?: WarmPool;
  /** PostgreSQL replicas: this one's role (a follower forwards and never opens the driver). Absent: the only server. */
  replica?: { id: string; role(): 'leader' | 'taking-over' | 'follower' };
  /** Directory of the built web UI (dist/web). */
  webDir: string;
  /** Origins (besides the server's own) allowed to open the terminal WebSocket. */
  allowedOrigins: string[];
  log: (msg: string) => void;
  /** Structured log: the access log's one JSON line per request. */
  logger: Logger;
  /** Whether another VM can start (readyz, capacity gauges). */
  capacity: () => Promise<CapacityReport>;
  /** The blast-radius policy in force (re-read when its file changes). */
  policy: PolicySource;
  /** How long a trainee token outlives its run. */
  traineeGraceMs: number;
  experiments: ExperimentManager;
  sso: SsoService;
  /** Halt-all: the emergency stop (423 HALTED for new runs and faults while engaged). */
  halt: HaltSwitch;
}
