// Turns the server's JSON into the UI's model. Tolerant on purpose: it accepts snake_case
// and camelCase, seconds or milliseconds or duration strings ("5m"), so the UI keeps
// working while the API evolves; anything missing gets a visible, harmless default.
import type {
  Alert, Fleet, FleetVm, Hint, IssuedToken, LibraryEntry, Objective, Role, RunEvent, RunState,
  RunStatus, RunSummary, RunVm, ScoreParts, Scoring, VmMetrics,
} from './model.ts';

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Finds the first present key, trying each name as written and in snake_case. */
function raw(o: Json, ...keys: string[]): unknown {
  for (const k of keys) {
    if (o[k] !== undefined && o[k] !== null) return o[k];
    const s = snake(k);
    if (o[s] !== undefined && o[s] !== null) return o[s];
  }
  return undefined;
}

function str(o: Json, fallback: string, ...keys: string[]): string {
  const v = raw(o, ...keys);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback;
}

function num(o: Json, ...keys: string[]): number | null {
  const v = raw(o, ...keys);
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_S: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Parses "500ms", "90s", "1h30m" into seconds; null when it is not a duration. */
export function parseDurationS(text: string): number | null {
  const t = text.trim();
  if (!/^(\d+(?:\.\d+)?(ms|h|m|s))+$/.test(t)) return null;
  let total = 0;
  for (const m of t.matchAll(DURATION_PART)) total += Number(m[1]) * (UNIT_S[m[2] ?? 's'] ?? 1);
  return total;
}

/** Reads a duration given as `<key>_s`, `<key>_ms`, `<key>Ms` or as a duration string. */
function seconds(o: Json, ...keys: string[]): number | null {
  for (const k of keys) {
    const s = num(o, `${k}S`, `${k}Seconds`);
    if (s !== null) return s;
    const ms = num(o, `${k}Ms`);
    if (ms !== null) return ms / 1000;
    const v = raw(o, k);
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      const d = parseDurationS(v);
      if (d !== null) return d;
    }
  }
  return null;
}

const RUN_STATES: readonly RunState[] = ['provisioning', 'running', 'resolved', 'aborted', 'expired', 'failed'];

function runState(o: Json): RunState {
  const s = str(o, '', 'state', 'status').toLowerCase();
  if ((RUN_STATES as readonly string[]).includes(s)) return s as RunState;
  if (['pending', 'booting', 'starting', 'created', 'queued'].includes(s)) return 'provisioning';
  if (['active', 'live', 'injecting'].includes(s)) return 'running';
  if (['error', 'errored'].includes(s)) return 'failed';
  if (['timeout', 'timed_out'].includes(s)) return 'expired';
  return 'running';
}

/** Normalises a role string; unknown roles read as observer (the least power). */
export function normaliseRole(v: unknown): Role {
  return v === 'admin' || v === 'instructor' || v === 'trainee' ? v : 'observer';
}

export function normaliseLibraryEntry(v: unknown): LibraryEntry {
  const o = obj(v);
  const s = obj(o.scenario);
  const src = Object.keys(s).length ? { ...o, ...s } : o;
  const env = obj(raw(o, 'environment'));
  const tiers = arr(raw(env, 'tiers'));
  const vmCount = num(src, 'vmCount', 'vms') ?? (tiers.length ? tiers.reduce<number>((n, t) => n + (num(obj(t), 'count') ?? 1), 0) : null);
  return {
    id: str(src, '', 'name', 'id'),
    title: str(src, str(src, '(untitled)', 'id'), 'title'),
    difficulty: str(src, '', 'difficulty'),
    architecture: str(src, '', 'architecture'),
    tags: arr(raw(src, 'tags')).filter((t): t is string => typeof t === 'string'),
    description: str(src, '', 'description'),
    vmCount,
  };
}

function fleetVm(v: unknown, i: number): FleetVm {
  const o = obj(v);
  return {
    name: str(o, `vm-${i}`, 'name'),
    index: num(o, 'index', 'vm', 'vmIndex') ?? i,
    ip: str(o, '', 'guestIp', 'ip', 'address'),
    state: str(o, '', 'state', 'status'),
  };
}

export function normaliseFleet(v: unknown): Fleet {
  const o = obj(v);
  return {
    id: str(o, '', 'id'),
    state: str(o, '', 'state', 'status'),
    vms: arr(raw(o, 'vms')).map(fleetVm),
    createdAt: str(o, '', 'createdAt', 'created'),
  };
}

function metrics(v: unknown): VmMetrics | null {
  const o = obj(v);
  const cpu = num(o, 'cpuPct');
  const mem = num(o, 'memUsedPct');
  const disk = num(o, 'diskUsedPct');
  const load = num(o, 'loadAvg1');
  if (cpu === null && mem === null && disk === null && load === null) return null;
  return { cpuPct: cpu ?? 0, memUsedPct: mem ?? 0, diskUsedPct: disk ?? 0, loadAvg1: load ?? 0 };
}

/** Normalises one VM's metrics sample (agent /metrics shape: cpu_pct, mem_used_pct…). */
export function normaliseMetrics(v: unknown): VmMetrics | null {
  return metrics(v);
}

function runVm(v: unknown, i: number): RunVm {
  const o = obj(v);
  return {
    name: str(o, `vm-${i}`, 'name'),
    index: num(o, 'index', 'vm', 'vmIndex') ?? i,
    ip: str(o, '', 'guestIp', 'ip', 'address'),
    metrics: metrics(raw(o, 'metrics')),
  };
}

function alert(v: unknown): Alert {
  const o = obj(v);
  return {
    name: str(o, 'alert', 'name'),
    severity: str(o, 'warning', 'severity').toLowerCase(),
    firedAtS: seconds(o, 'firedAt', 'at') ?? 0,
    message: str(o, '', 'message'),
    fired: raw(o, 'fired') !== false && raw(o, 'pending') !== true,
  };
}

function objective(v: unknown): Objective {
  const o = obj(v);
  const state = str(o, '', 'state', 'status').toLowerCase();
  const passedRaw = raw(o, 'passing', 'passed', 'ok', 'met');
  return {
    id: str(o, '', 'id'),
    description: str(o, str(o, '', 'id'), 'description'),
    passed: passedRaw === true || state === 'passed' || state === 'pass' || state === 'met',
    detail: str(o, '', 'detail'),
  };
}

function hint(v: unknown, i: number): Hint {
  if (typeof v === 'string') return { index: i, text: v };
  const o = obj(v);
  return { index: num(o, 'index') ?? i, text: str(o, '', 'text', 'hint') };
}

function scoring(v: unknown): Scoring | null {
  const o = obj(v);
  const base = num(o, 'base');
  if (base === null) return null;
  return {
    base,
    timePenaltyPerSecond: num(o, 'timePenaltyPerSecond') ?? 0,
    hintPenalty: num(o, 'hintPenalty') ?? 0,
    perfectWindowS: seconds(o, 'perfectWindow') ?? 0,
  };
}

function scoreParts(v: unknown): ScoreParts | null {
  if (typeof v === 'number') return { total: v, base: v, timePenalty: 0, hintPenalty: 0 };
  const o = obj(v);
  const total = num(o, 'score', 'total', 'value', 'now');
  if (total === null) return null;
  return {
    total,
    base: num(o, 'base') ?? total,
    timePenalty: num(o, 'timePenalty') ?? 0,
    hintPenalty: num(o, 'hintPenalty') ?? 0,
  };
}

export function normaliseRunSummary(v: unknown): RunSummary {
  const o = obj(v);
  const sc = obj(raw(o, 'scenario'));
  const objectives = arr(raw(o, 'objectives')).map(objective);
  const hints = raw(o, 'hints');
  const parts = scoreParts(raw(o, 'scoreDetail', 'score', 'scoreNow', 'result'));
  return {
    id: str(o, '', 'id', 'runId'),
    scenarioId: str(o, str(sc, '', 'id'), 'scenarioId'),
    title: str(o, str(sc, str(o, '(untitled run)', 'scenarioId'), 'title'), 'title'),
    difficulty: str(o, str(sc, '', 'difficulty'), 'difficulty'),
    state: runState(o),
    startedAt: str(o, '', 'startedAt', 'createdAt') || null,
    endedAt: str(o, '', 'endedAt', 'resolvedAt', 'finishedAt') || null,
    elapsedS: seconds(o, 'elapsed') ?? 0,
    timeLimitS: seconds(o, 'timeLimit') ?? seconds(sc, 'timeLimit'),
    hintsUsed: num(o, 'hintsUsed', 'hintsTaken') ?? (Array.isArray(hints) ? hints.length : num(obj(hints), 'used', 'taken') ?? 0),
    objectivesPassed: num(o, 'objectivesPassing', 'objectivesPassed') ?? objectives.filter((x) => x.passed).length,
    objectivesTotal: num(o, 'objectivesTotal') ?? objectives.length,
    score: parts?.total ?? null,
    trainee: str(o, '', 'trainee', 'assignee') || null,
  };
}

export function normaliseRunStatus(v: unknown): RunStatus {
  const o = obj(v);
  const sc = obj(raw(o, 'scenario'));
  const sig = obj(raw(o, 'signals'));
  const hintsRaw = raw(o, 'hints');
  const hintList = Array.isArray(hintsRaw) ? hintsRaw : arr(raw(obj(hintsRaw), 'taken', 'given', 'items'));
  const summary = normaliseRunSummary(v);
  return {
    ...summary,
    description: str(o, str(sc, '', 'description'), 'description', 'narrative'),
    alerts: arr(raw(o, 'alerts') ?? raw(sig, 'alerts')).map(alert),
    symptoms: arr(raw(o, 'symptoms') ?? raw(sig, 'symptoms')).filter((s): s is string => typeof s === 'string'),
    objectives: arr(raw(o, 'objectives')).map(objective),
    hints: hintList.map(hint),
    hintsTotal: num(o, 'hintsTotal', 'hintsAvailable') ?? num(obj(hintsRaw), 'total') ?? hintList.length,
    scoring: scoring(raw(o, 'scoring') ?? raw(sc, 'scoring')),
    scoreParts: scoreParts(raw(o, 'scoreDetail', 'score', 'scoreNow', 'result')),
    vms: arr(raw(o, 'vms') ?? raw(obj(raw(o, 'fleet')), 'vms')).map(runVm),
    keepFleet: raw(o, 'keepFleet') === true,
  };
}

export function normaliseEvent(v: unknown, fallbackSeq: number): RunEvent {
  const o = obj(v);
  const data = obj(raw(o, 'data', 'payload'));
  const merged = { ...o, ...data };
  const type = str(o, 'event', 'kind', 'type');
  return {
    seq: num(o, 'seq', 'id') ?? fallbackSeq,
    at: str(o, new Date().toISOString(), 'at', 'time', 'ts'),
    offsetS: seconds(merged, 'offset', 'elapsed'),
    type,
    summary: str(merged, '', 'summary', 'message', 'description', 'name', 'id'),
    data: merged,
  };
}

export function normaliseIssuedToken(v: unknown): IssuedToken {
  const o = obj(v);
  return {
    token: str(o, '', 'token', 'secret'),
    role: normaliseRole(raw(o, 'role')),
    runId: str(o, '', 'runId', 'run', 'scope') || null,
  };
}
