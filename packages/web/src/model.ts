// The UI's view of the API. The server's JSON is normalised into these types in one
// place (normalise.ts), so the views never depend on field spellings.

export type Role = 'admin' | 'instructor' | 'trainee' | 'observer';
export type RunState = 'provisioning' | 'running' | 'resolved' | 'aborted' | 'expired' | 'failed';

export const FINISHED_STATES: readonly RunState[] = ['resolved', 'aborted', 'expired', 'failed'];

export interface Identity {
  role: Role;
  name: string;
  /** A trainee token is scoped to one run. */
  runId: string | null;
}

export interface LibraryEntry {
  id: string;
  title: string;
  difficulty: string;
  architecture: string;
  tags: string[];
  description: string;
  vmCount: number | null;
}

export interface FleetVm {
  name: string;
  index: number;
  ip: string;
  state: string;
}

export interface Fleet {
  id: string;
  state: string;
  vms: FleetVm[];
  createdAt: string;
}

export interface Alert {
  name: string;
  severity: string;
  firedAtS: number;
  message: string;
  fired: boolean;
}

export interface Objective {
  id: string;
  description: string;
  passed: boolean;
  /** What the last check saw (e.g. `app-0: disk_used_pct = 100 (want < 80)`). */
  detail: string;
}

export interface ScoreParts {
  total: number;
  base: number;
  timePenalty: number;
  hintPenalty: number;
}

export interface Scoring {
  base: number;
  timePenaltyPerSecond: number;
  hintPenalty: number;
  perfectWindowS: number;
}

export interface VmMetrics {
  cpuPct: number;
  memUsedPct: number;
  diskUsedPct: number;
  loadAvg1: number;
}

export interface RunVm {
  name: string;
  index: number;
  ip: string;
  metrics: VmMetrics | null;
}

export interface Hint {
  index: number;
  text: string;
}

export interface RunSummary {
  id: string;
  scenarioId: string;
  title: string;
  difficulty: string;
  state: RunState;
  startedAt: string | null;
  endedAt: string | null;
  elapsedS: number;
  timeLimitS: number | null;
  hintsUsed: number;
  objectivesPassed: number;
  objectivesTotal: number;
  score: number | null;
  trainee: string | null;
}

export interface RunStatus extends RunSummary {
  description: string;
  alerts: Alert[];
  symptoms: string[];
  objectives: Objective[];
  hints: Hint[];
  hintsTotal: number;
  scoring: Scoring | null;
  scoreParts: ScoreParts | null;
  vms: RunVm[];
  /** The fleet outlives the run (for a debrief): terminals stay open. */
  keepFleet: boolean;
}

export interface RunEvent {
  seq: number;
  at: string;
  /** Seconds since the run's clock started, when known. */
  offsetS: number | null;
  type: string;
  summary: string;
  data: Record<string, unknown>;
}

export interface IssuedToken {
  token: string;
  role: Role;
  runId: string | null;
}
