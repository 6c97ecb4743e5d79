/**
 * Fault params: one definition per fault type. `FAULT_PARAMS[t]` is what a scenario may
 * write; the agent's schema is the same object extended with what only the wire carries
 * (`duration`, the network `interface`), so `validate`, the agent and the JSON Schema can
 * never disagree. Rules across fields live inside the schema as refinements with the path
 * of the field they are about; where JSON Schema can say the same, the rule carries its
 * JSON Schema form beside it (emitted through zod's metadata).
 * How to add a param or a fault type: /work/team/notes/contracts-howto.md.
 */
import { z } from 'zod';
import { parseDurationMs } from './units.ts';
import {
  absolutePath, hostname, ipAddress, percentAboveZero, percentIn, pgName, positiveDuration, rate, regexSource, service,
} from './scenario-fields.ts';

export const FAULT_TYPES = ['cpu', 'memory', 'disk', 'network', 'process', 'dns', 'db-connections', 'config'] as const;
export type FaultType = (typeof FAULT_TYPES)[number];
export const NETWORK_ACTIONS = ['delay', 'loss', 'corrupt'] as const;
export const PROCESS_ACTIONS = ['stop', 'restart', 'degrade'] as const;

/**
 * A rule across fields: `holds` is the check (zod, with `path`), `jsonSchema` the same rule
 * as a JSON Schema `allOf` entry, or the reason a schema cannot say it.
 */
export interface CrossFieldRule<T> {
  /** The field the rule is about; null for the object as a whole. */
  path: string | null;
  message: (p: T) => string;
  holds: (p: T) => boolean;
  jsonSchema: Record<string, unknown> | { inexpressible: string };
}

/** Adds `rules` to an object schema: a refinement each, and the expressible ones as JSON Schema. */
export function withCrossFieldRules<S extends z.ZodObject>(schema: S, rules: readonly CrossFieldRule<z.output<S>>[]): S {
  const allOf = rules.map((r) => r.jsonSchema).filter((j) => !('inexpressible' in j));
  return schema
    .superRefine((p, ctx) => {
      for (const r of rules) if (!r.holds(p)) ctx.addIssue({ code: 'custom', path: r.path === null ? [] : [r.path], message: r.message(p) });
    })
    .meta(allOf.length ? { allOf } : {});
}

/**
 * JSON Schema for "these keys are present". The keys are declared beside `required` so the
 * schema stays clean under strict ajv (strictRequired).
 */
export function jsonRequires(...keys: string[]): Record<string, unknown> {
  return { properties: Object.fromEntries(keys.map((k) => [k, true])), required: keys };
}
const ifAction = (action: string) => ({ properties: { action: { const: action } }, required: ['action'] });

const networkShape = z.strictObject({
  action: z.enum(NETWORK_ACTIONS),
  latency: positiveDuration.optional().describe('Added delay (action delay), e.g. 300ms'),
  jitter: positiveDuration.optional().describe('Random variation of the delay, at most the latency (action delay)'),
  packet_loss: percentAboveZero.optional().describe('Share of packets dropped (action loss)'),
  corrupt: percentAboveZero.optional().describe('Share of packets corrupted (action corrupt)'),
});
type NetworkParamsShape = z.output<typeof networkShape>;

/** The network fault's rules: each action needs its own field; jitter belongs to delay and stays under the latency. */
export const NETWORK_RULES: readonly CrossFieldRule<NetworkParamsShape>[] = [
  ...(([['delay', 'latency'], ['loss', 'packet_loss'], ['corrupt', 'corrupt']] as const).map(([action, field]) => ({
    path: field,
    message: () => `action "${action}" needs "${field}"`,
    holds: (p: NetworkParamsShape) => p.action !== action || p[field] !== undefined,
    jsonSchema: { if: ifAction(action), then: jsonRequires(field) },
  }))),
  {
    path: 'jitter',
    message: () => '"jitter" applies only to action delay',
    holds: (p) => p.jitter === undefined || p.action === 'delay',
    jsonSchema: { if: jsonRequires('jitter'), then: ifAction('delay') },
  },
  {
    path: 'jitter',
    message: (p) => `must not exceed the latency (${p.latency})`,
    holds: (p) => p.jitter === undefined || p.latency === undefined || (parseDurationMs(p.jitter) ?? 0) <= (parseDurationMs(p.latency) ?? 0),
    jsonSchema: { inexpressible: 'compares the values of two fields (JSON Schema compares a value only with constants)' },
  },
];

/**
 * db-connections: a client on the database VM that opens connections and never gives them
 * back, as a leaking batch job does.
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

/** config: a bad config push (one line of a file changed, the service restarted). */
export const configParams = z.strictObject({
  path: z.string().regex(/^\/[^\0]*[^/]$/, { message: 'expected the absolute path of a file like /etc/default/app-server' }),
  match: regexSource.describe('Regular expression; the first line it matches is replaced (nothing matches: the line is appended)'),
  replace: z.string().regex(/^[^\n\r]*$/, { message: 'expected one line' }).describe('The line written instead'),
  restart: service.optional().describe('Unit restarted after the change so it runs with it (and again on revert)'),
});

/** Fault params per type; the seed's types take every value as a string, as it writes them. */
export const FAULT_PARAMS = {
  cpu: z.strictObject({ load: percentIn(1, 100).describe('Share of the VM CPUs to hold busy, e.g. 80%') }),
  memory: z.strictObject({
    rate: rate.describe('Growth rate, e.g. 30mb/min'),
    ceiling: percentIn(1, 95).default('85%').describe('Stop growing at this share of VM memory'),
  }),
  disk: z.strictObject({ path: absolutePath.default('/').describe('Filesystem to fill') }),
  network: withCrossFieldRules(networkShape, NETWORK_RULES),
  process: z.strictObject({ service, action: z.enum(PROCESS_ACTIONS) }),
  dns: z.strictObject({
    record: hostname.describe('Name to spoof in /etc/hosts'),
    resolve_to: ipAddress.describe('Address it resolves to instead (IPv4 or IPv6)'),
  }),
  'db-connections': dbConnectionsParams,
  config: configParams,
} satisfies Record<FaultType, z.ZodObject>;

export type FaultParams<T extends FaultType> = z.output<(typeof FAULT_PARAMS)[T]>;

/** What only the wire carries: the server adds the fault's remaining time as `duration`. */
const AGENT_ONLY = { duration: positiveDuration.optional().describe('Time to live; absent = the agent\'s maximum') };

/** The agent's param check: each scenario schema extended with the wire-only fields, rules and all. */
export const AGENT_FAULT_PARAM_SCHEMAS = {
  cpu: FAULT_PARAMS.cpu.extend(AGENT_ONLY),
  memory: FAULT_PARAMS.memory.extend(AGENT_ONLY),
  disk: FAULT_PARAMS.disk.extend(AGENT_ONLY),
  network: FAULT_PARAMS.network.extend({
    ...AGENT_ONLY,
    interface: z.string().regex(/^[A-Za-z0-9_.@-]{1,15}$/, { message: 'expected an interface name like eth0' }).optional(),
  }),
  process: FAULT_PARAMS.process.extend(AGENT_ONLY),
  dns: FAULT_PARAMS.dns.extend(AGENT_ONLY),
  'db-connections': FAULT_PARAMS['db-connections'].extend(AGENT_ONLY),
  config: FAULT_PARAMS.config.extend(AGENT_ONLY),
} satisfies Record<FaultType, z.ZodObject>;

export type AgentFaultParams<T extends FaultType> = z.output<(typeof AGENT_FAULT_PARAM_SCHEMAS)[T]>;
export type AgentCpuParams = AgentFaultParams<'cpu'>;
export type AgentMemoryParams = AgentFaultParams<'memory'>;
export type AgentDiskParams = AgentFaultParams<'disk'>;
export type AgentNetworkParams = AgentFaultParams<'network'>;
export type AgentProcessParams = AgentFaultParams<'process'>;
export type AgentDnsParams = AgentFaultParams<'dns'>;
export type AgentDbConnectionsParams = AgentFaultParams<'db-connections'>;
export type AgentConfigParams = AgentFaultParams<'config'>;
export type AgentFaultParamsByType = { [T in FaultType]: AgentFaultParams<T> };
