/**
 * The scenario file format: the seed's YAML, exactly its names, plus `time_limit`, `seed`,
 * `disk_mb` and `target.select`. This is the one source of truth: runtime validation,
 * TypeScript types and the committed scenario.schema.json all come from here.
 *
 * Fault params and check fields depend on `type`; they are validated in a second step
 * (see FAULT_PARAMS / CHECK_FIELDS) so an unknown type yields one clear error instead of
 * a union failure, and the JSON Schema still gets a precise variant per type.
 */
import { z } from 'zod';
import {
  CONDITION_HELP, DURATION_HELP, PERCENT_HELP, RATE_HELP,
  parseCondition, parseDurationMs, parsePercent, parseRateBytesPerSecond,
} from './units.ts';
import { charterSchema } from './charter-spec.ts';

export const DIFFICULTIES = ['easy', 'medium', 'hard', 'expert'] as const;
export const ARCHITECTURES = ['monolith', 'microservices', 'both'] as const;
export const FAULT_TYPES = ['cpu', 'memory', 'disk', 'network', 'process', 'dns', 'db-connections', 'config'] as const;
export const CHECK_TYPES = ['http', 'agent-metric', 'process-running', 'fault-cleared'] as const;
export const METRICS = ['cpu_pct', 'mem_used_pct', 'disk_used_pct', 'disk_free_mb', 'load_avg_1'] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const NETWORK_ACTIONS = ['delay', 'loss', 'corrupt'] as const;
export const PROCESS_ACTIONS = ['stop', 'restart', 'degrade'] as const;

export type FaultType = (typeof FAULT_TYPES)[number];
export type CheckType = (typeof CHECK_TYPES)[number];
export type MetricName = (typeof METRICS)[number];

/** Largest seed (32 bits): the same range in a scenario file, the API and recorded runs. */
export const SEED_MAX = 2 ** 32 - 1;

/** VMs one tier may ask for. */
export const MAX_TIER_VMS = 64;

const NAME_RE = /^[a-z][a-z0-9-]{0,30}$/;
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SERVICE_RE = /^[A-Za-z0-9@._-]{1,64}$/;

export const duration = z.string().refine((s) => parseDurationMs(s) !== null, { message: `expected ${DURATION_HELP}` });
export const percent = z.string().refine((s) => parsePercent(s) !== null, { message: `expected ${PERCENT_HELP} (0–100)` });
/** A percentage the agent accepts for that param: the same range here, so validate catches it. */
const percentIn = (min: number, max: number) =>
  z.string().refine((s) => { const p = parsePercent(s); return p !== null && p >= min && p <= max; }, { message: `expected a percentage from ${min}% to ${max}% like "80%"` });
const rate = z.string().refine((s) => parseRateBytesPerSecond(s) !== null, { message: `expected ${RATE_HELP}` });
const condition = z.string().refine((s) => parseCondition(s) !== null, { message: `expected ${CONDITION_HELP}` });
const ipv4 = z.string().refine((s) => /^(\d{1,3})(\.\d{1,3}){3}$/.test(s) && s.split('.').every((o) => Number(o) <= 255), {
  message: 'expected an IPv4 address like 10.0.0.66',
});
const hostname = z.string().regex(/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/, {
  message: 'expected a host name like db.internal',
});
const service = z.string().regex(SERVICE_RE, { message: 'expected a systemd unit name like nginx' });

export const selectSchema = z.union([
  z.enum(['all', 'one', 'random']),
  z.strictObject({ count: z.int().min(1).max(1000) }),
  z.strictObject({ percent: z.number().gt(0).max(100) }),
], { error: 'expected all, one, random, {count: N} or {percent: P}' }).describe('Which VMs of the tier: all (default), one (the first), random (one, seeded), {count: N} or {percent: P} (seeded)');

export const targetSchema = z.strictObject({
  tier: z.string().optional().describe('Every VM of this tier (narrowed by select)'),
  vm: z.string().optional().describe('One VM by name: <tier>-<index>, e.g. app-0'),
  select: selectSchema.optional(),
});

const pgName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'expected a PostgreSQL name like app (lowercase letters, digits, _)' });

/**
 * db-connections: a client on the database VM that opens connections and never gives them
 * back, as a leaking batch job does. Shared with the agent protocol (one definition).
 */
export const dbConnectionsParams = z.strictObject({
  connections: z.union([z.literal('all'), z.int().min(1).max(10_000)]).default('all')
    .describe('How many to hold: all = every slot the role may take, taken again whenever one frees up'),
  user: pgName.default('app').describe('Role it connects as (not a superuser, so the reserved slots stay free)'),
  database: pgName.default('app'),
  application_name: z.string().regex(/^[A-Za-z0-9 ._-]{1,63}$/, { message: 'expected a name like report-export' }).default('report-export')
    .describe('What pg_stat_activity shows for it, and its process name'),
  port: z.int().min(1).max(65535).default(5432),
});

const isRegExp = (s: string): boolean => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
};

/** config: a bad config push (one line of a file changed, the service restarted). Shared with the agent protocol. */
export const configParams = z.strictObject({
  path: z.string().regex(/^\/[^\0]*[^/]$/, { message: 'expected the absolute path of a file like /etc/default/app-server' }),
  match: z.string().min(1).refine(isRegExp, { message: 'expected a regular expression like ^APP_PORT=' })
    .describe('Regular expression; the first line it matches is replaced (nothing matches: the line is appended)'),
  replace: z.string().regex(/^[^\n\r]*$/, { message: 'expected one line' }).describe('The line written instead'),
  restart: service.optional().describe('Unit restarted after the change so it runs with it (and again on revert)'),
});

/** Fault params per type; the seed's types take every value as a string, as it writes them. */
export const FAULT_PARAMS = {
  cpu: z.strictObject({ load: percentIn(1, 100).describe('Share of the VM CPUs to hold busy, e.g. 80%') }),
  memory: z.strictObject({
    rate: rate.describe('Growth rate, e.g. 30mb/min'),
    ceiling: percentIn(1, 95).optional().describe('Stop growing at this share of VM memory (default 85%)'),
  }),
  disk: z.strictObject({ path: z.string().startsWith('/', { message: 'expected an absolute path' }).optional().describe('Filesystem to fill (default /)') }),
  network: z.strictObject({
    action: z.enum(NETWORK_ACTIONS),
    latency: duration.optional(),
    jitter: duration.optional(),
    packet_loss: percentIn(0.01, 100).optional(),
    corrupt: percentIn(0.01, 100).optional(),
  }),
  process: z.strictObject({ service, action: z.enum(PROCESS_ACTIONS) }),
  dns: z.strictObject({ record: hostname, resolve_to: ipv4 }),
  'db-connections': dbConnectionsParams,
  config: configParams,
} satisfies Record<FaultType, z.ZodType>;

/** Check fields per type, beside `type` and `target`. */
export const CHECK_FIELDS = {
  http: z.strictObject({
    path: z.string().startsWith('/', { message: 'expected a path starting with /' }),
    expected_status: z.int().min(100).max(599).optional(),
    port: z.int().min(1).max(65535).optional(),
  }),
  'agent-metric': z.strictObject({ metric: z.enum(METRICS), condition }),
  'process-running': z.strictObject({ service }),
  /**
   * Passes when the named fault no longer holds on the target VMs: the agent reads the real
   * guest state (rule gone, qdisc gone, entry gone). For faults with no metric of their own,
   * such as packet loss.
   */
  'fault-cleared': z.strictObject({ fault: z.string().regex(ID_RE, { message: 'expected a fault id of this scenario' }) }),
} satisfies Record<CheckType, z.ZodType>;

export const tierSchema = z.strictObject({
  name: z.string().regex(NAME_RE, { message: 'expected a lowercase name like app or db (letters, digits, -)' }),
  count: z.int().min(1).max(MAX_TIER_VMS).default(1),
  vcpus: z.int().min(1).max(32).default(1),
  mem_mb: z.int().min(64).max(65536).default(512),
  disk_mb: z.int().min(64).max(1048576).default(1024),
  services: z.array(service).default([]),
});

const faultBase = z.strictObject({
  id: z.string().regex(ID_RE, { message: 'expected an id of letters, digits, . _ -' }),
  type: z.enum(FAULT_TYPES),
  target: targetSchema,
  params: z.record(z.string(), z.unknown()).default({}),
  at: duration.default('0s').describe('When the fault starts, from the start of the run'),
  duration: duration.optional().describe('How long it lasts; absent = until the run ends or the trainee fixes it'),
});

const checkBase = z.object({ type: z.enum(CHECK_TYPES), target: targetSchema }).catchall(z.unknown());

export const objectiveSchema = z.strictObject({
  id: z.string().regex(ID_RE, { message: 'expected an id of letters, digits, . _ -' }),
  description: z.string().min(1),
  check: checkBase,
});

export const alertSchema = z.strictObject({
  name: z.string().min(1),
  severity: z.enum(SEVERITIES).default('warning'),
  fired_at: duration.default('0s'),
  message: z.string().default(''),
});

export const scenarioSpecSchema = z.strictObject({
  scenario: z.strictObject({
    id: z.string().regex(ID_RE, { message: 'expected an id of letters, digits, . _ -' }),
    title: z.string().min(1),
    difficulty: z.enum(DIFFICULTIES),
    architecture: z.enum(ARCHITECTURES).default('monolith'),
    tags: z.array(z.string()).default([]),
    description: z.string().default(''),
    time_limit: duration.default('30m').describe('The run expires after this'),
    seed: z.int().min(0).max(SEED_MAX).optional().describe('Seed for every random choice; absent = chosen at run time and recorded'),
  }),
  charter: charterSchema.optional().describe('The experiment charter: hypothesis, owner, scope, success criteria, rollback, approvers, window'),
  environment: z.strictObject({ tiers: z.array(tierSchema).min(1) }),
  faults: z.array(faultBase).default([]),
  signals: z.strictObject({
    alerts: z.array(alertSchema).default([]),
    symptoms: z.array(z.string()).default([]),
  }).default({ alerts: [], symptoms: [] }),
  objectives: z.array(objectiveSchema).min(1),
  hints: z.array(z.strictObject({ text: z.string() })).default([]),
  scoring: z.strictObject({
    base: z.number().min(0).default(100),
    time_penalty_per_second: z.number().min(0).default(0),
    hint_penalty: z.number().min(0).default(0),
    perfect_window: duration.default('0s'),
  }).default({ base: 100, time_penalty_per_second: 0, hint_penalty: 0, perfect_window: '0s' }),
});

export type ScenarioSpec = z.output<typeof scenarioSpecSchema>;
export type TargetSpec = z.output<typeof targetSchema>;
export type SelectSpec = z.output<typeof selectSchema>;
export type FaultSpec = ScenarioSpec['faults'][number];
export type ObjectiveSpec = ScenarioSpec['objectives'][number];
export type FaultParams<T extends FaultType> = z.output<(typeof FAULT_PARAMS)[T]>;

/**
 * The same format with one variant per fault and check type, for editors (JSON Schema).
 * Runtime validation uses scenarioSpecSchema + FAULT_PARAMS/CHECK_FIELDS, which report
 * the same rules with better messages.
 */
export function scenarioSpecForEditors(): z.ZodType {
  const faultVariants = FAULT_TYPES.map((t) => faultBase.extend({ type: z.literal(t), params: FAULT_PARAMS[t] }));
  const checkVariants = CHECK_TYPES.map((t) =>
    z.strictObject({ type: z.literal(t), target: targetSchema, ...CHECK_FIELDS[t].shape }),
  );
  return scenarioSpecSchema.extend({
    faults: z.array(z.discriminatedUnion('type', faultVariants as never)).optional(),
    objectives: z.array(objectiveSchema.extend({ check: z.discriminatedUnion('type', checkVariants as never) })).min(1),
  });
}
