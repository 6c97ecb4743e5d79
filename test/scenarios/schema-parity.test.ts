/**
 * One table of scenario mistakes, fed to the three checkers a scenario meets: `validate`
 * (parseScenario, what puduc and the server run), strict ajv 2020-12 with the committed
 * scenario.schema.json (what editors and CI tools run), and the agent's own param check
 * (FaultManager.validate, what runs in the VM before anything changes). Validate catches
 * every mistake; the JSON Schema catches every one a schema can express (the others say
 * why not, and the test checks the schema really lets them through, so a stale mark
 * fails); the scenario's and the agent's param checks give the same verdict on the params
 * of every fault of every case, good or bad.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { stringify } from 'yaml';
import { compileScenario, formatIssue, parseScenario } from '@pudu/engine';
import { FAULT_PARAMS, FAULT_TYPES, SCENARIO_SCHEMA_FILE, type FaultType } from '@pudu/schema';
import { FaultManager } from '../../packages/agent/src/fault-manager.ts';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- mutations reach anywhere in the document

const BASE: Doc = {
  scenario: { id: 'parity-001', title: 'Parity', difficulty: 'medium', architecture: 'microservices', time_limit: '20m', seed: 7 },
  charter: { hypothesis: 'h', owner: 'o', scope: 's', success_criteria: ['c'], rollback: 'r' },
  environment: { tiers: [
    { name: 'app', count: 2, vcpus: 1, mem_mb: 512, disk_mb: 1024, services: ['nginx', 'app-server'] },
    { name: 'db', count: 1, services: ['postgresql'] },
  ] },
  faults: [
    { id: 'cpu-app', type: 'cpu', target: { tier: 'app', select: 'one' }, params: { load: '80%' }, at: '0s', duration: '5m' },
    { id: 'leak', type: 'memory', target: { vm: 'app-1' }, params: { rate: '30mb/min', ceiling: '85%' }, at: '1m' },
    { id: 'fill', type: 'disk', target: { vm: 'app-0' }, params: { path: '/' } },
    { id: 'slow-db', type: 'network', target: { tier: 'db' }, params: { action: 'delay', latency: '300ms', jitter: '50ms' }, at: '2m', duration: '10m' },
    { id: 'stop-nginx', type: 'process', target: { vm: 'app-0' }, params: { service: 'nginx', action: 'stop' } },
    { id: 'hijack', type: 'dns', target: { tier: 'app' }, params: { record: 'db.internal', resolve_to: 'fd00::66' } },
    { id: 'pool', type: 'db-connections', target: { tier: 'db' }, params: { connections: 50, port: 5432 } },
    { id: 'bad-push', type: 'config', target: { vm: 'app-1' }, params: { path: '/etc/default/app-server', match: '^APP_PORT=', replace: 'APP_PORT=9', restart: 'app-server' } },
  ],
  signals: { alerts: [{ name: 'Slow', severity: 'critical', fired_at: '2m', message: 'p99 up' }], symptoms: ['slow pages'] },
  objectives: [
    { id: 'cpu-ok', description: 'CPU back', check: { type: 'agent-metric', target: { vm: 'app-0' }, metric: 'cpu_pct', condition: '< 80' } },
    { id: 'web-ok', description: 'Web answers', check: { type: 'http', target: { tier: 'app' }, path: '/healthz', expected_status: 200, port: 80 } },
    { id: 'nginx-up', description: 'nginx runs', check: { type: 'process-running', target: { vm: 'app-0' }, service: 'nginx' } },
    { id: 'net-ok', description: 'No delay', check: { type: 'fault-cleared', target: { tier: 'db' }, fault: 'slow-db' } },
  ],
  hints: [{ text: 'Look at top' }],
  scoring: { base: 100, time_penalty_per_second: 0.05, hint_penalty: 10, perfect_window: '5m' },
};

const fault = (d: Doc, id: string): Doc => (d.faults as Doc[]).find((f) => f.id === id)!;
const check = (d: Doc, id: string): Doc => (d.objectives as Doc[]).find((o) => o.id === id)!.check;
const CROSS_REF = 'names something declared elsewhere in the file (JSON Schema has no references between data)';
const UNIQUE_BY_KEY = 'uniqueness of one key across list items (uniqueItems compares whole items)';
const RAMP_BY_TYPE = 'a ramp\'s keys and values are judged by the fault type\'s own params (the schema keeps ramp lists free)';
const ARITHMETIC = 'adds durations of different fields and compares the sum (JSON Schema compares a value only with constants)';

/** [mistake, mutation, true when a JSON Schema can express it or why it cannot]. */
const CASES: [string, (d: Doc) => void, true | string][] = [
  ['an unknown top-level key', (d) => { d.scenarioo = {}; }, true],
  ['a misspelled scenario key', (d) => { d.scenario.titel = d.scenario.title; delete d.scenario.title; }, true],
  ['an unknown difficulty', (d) => { d.scenario.difficulty = 'eazy'; }, true],
  ['an unknown architecture', (d) => { d.scenario.architecture = 'serverless'; }, true],
  ['a scenario id with spaces', (d) => { d.scenario.id = 'my scenario'; }, true],
  ['a time limit in words', (d) => { d.scenario.time_limit = '30 minutes'; }, true],
  ['a negative seed', (d) => { d.scenario.seed = -1; }, true],
  ['a seed above 32 bits', (d) => { d.scenario.seed = 2 ** 32; }, true],
  ['a blank charter owner', (d) => { d.charter.owner = '   '; }, true],
  ['no tiers', (d) => { d.environment.tiers = []; }, true],
  ['a tier name in capitals', (d) => { d.environment.tiers[0].name = 'App'; }, true],
  ['a tier of zero VMs', (d) => { d.environment.tiers[1].count = 0; }, true],
  ['a tier above the VM limit', (d) => { d.environment.tiers[1].count = 65; }, true],
  ['a tier too small in memory', (d) => { d.environment.tiers[0].mem_mb = 32; }, true],
  ['a service name with a shell command', (d) => { d.environment.tiers[0].services.push('nginx; rm -rf /'); }, true],
  ['a misspelled fault type', (d) => { fault(d, 'fill').type = 'diks'; }, true],
  ['a fault id with punctuation', (d) => { fault(d, 'fill').id = 'fill!'; }, true],
  ['a fault start time that is no duration', (d) => { fault(d, 'fill').at = '10x'; }, true],
  ['a fault duration that is no duration', (d) => { fault(d, 'cpu-app').duration = 'five minutes'; }, true],
  ['a target with both tier and vm', (d) => { fault(d, 'fill').target = { tier: 'app', vm: 'app-0' }; }, true],
  ['a target with neither tier nor vm', (d) => { fault(d, 'fill').target = {}; }, true],
  ['select on a single vm', (d) => { fault(d, 'fill').target.select = 'random'; }, true],
  ['an unknown select', (d) => { fault(d, 'cpu-app').target.select = 'some'; }, true],
  ['select count zero', (d) => { fault(d, 'cpu-app').target.select = { count: 0 }; }, true],
  ['a cpu load above 100 %', (d) => { fault(d, 'cpu-app').params.load = '150%'; }, true],
  ['a cpu load without a percent sign', (d) => { fault(d, 'cpu-app').params.load = '80'; }, true],
  ['a cpu fault without load', (d) => { fault(d, 'cpu-app').params = {}; }, true],
  ['a memory rate in words', (d) => { fault(d, 'leak').params.rate = 'fast'; }, true],
  ['a memory rate of zero', (d) => { fault(d, 'leak').params.rate = '0mb/min'; }, true],
  ['a memory ceiling that invites the OOM killer', (d) => { fault(d, 'leak').params.ceiling = '99%'; }, true],
  ['a relative disk path', (d) => { fault(d, 'fill').params.path = 'var/log'; }, true],
  ['a network delay without latency', (d) => { delete fault(d, 'slow-db').params.latency; delete fault(d, 'slow-db').params.jitter; }, true],
  ['jitter on a packet-loss fault', (d) => { fault(d, 'slow-db').params = { action: 'loss', packet_loss: '5%', jitter: '5ms' }; }, true],
  ['packet loss of zero', (d) => { fault(d, 'slow-db').params = { action: 'loss', packet_loss: '0%' }; }, true],
  ['a latency of zero', (d) => { fault(d, 'slow-db').params.latency = '0ms'; }, true],
  ['a misspelled network param', (d) => { fault(d, 'slow-db').params.latencyy = '1s'; }, true],
  ['an unknown process action', (d) => { fault(d, 'stop-nginx').params.action = 'kill'; }, true],
  ['a dns fault to a host name', (d) => { fault(d, 'hijack').params.resolve_to = 'evil.example'; }, true],
  ['a dns fault to an out-of-range IPv4', (d) => { fault(d, 'hijack').params.resolve_to = '10.0.0.256'; }, true],
  ['a dns record with spaces', (d) => { fault(d, 'hijack').params.record = 'db internal'; }, true],
  ['zero held connections', (d) => { fault(d, 'pool').params.connections = 0; }, true],
  ['a database port out of range', (d) => { fault(d, 'pool').params.port = 70000; }, true],
  ['a relative config path', (d) => { fault(d, 'bad-push').params.path = 'etc/app.conf'; }, true],
  ['a config match that is no regular expression', (d) => { fault(d, 'bad-push').params.match = '('; }, true],
  ['a config replace of two lines', (d) => { fault(d, 'bad-push').params.replace = 'A=1\nB=2'; }, true],
  ['a misspelled check type', (d) => { check(d, 'cpu-ok').type = 'agent-metrik'; }, true],
  ['an unknown metric', (d) => { check(d, 'cpu-ok').metric = 'cpu_percent'; }, true],
  ['a condition in words', (d) => { check(d, 'cpu-ok').condition = 'about 80'; }, true],
  ['an http path without a slash', (d) => { check(d, 'web-ok').path = 'healthz'; }, true],
  ['an http status that does not exist', (d) => { check(d, 'web-ok').expected_status = 700; }, true],
  ['a field of another check type', (d) => { check(d, 'web-ok').metric = 'cpu_pct'; }, true],
  ['an unknown alert severity', (d) => { d.signals.alerts[0].severity = 'urgent'; }, true],
  ['an alert time that is no duration', (d) => { d.signals.alerts[0].fired_at = 'soon'; }, true],
  ['no objectives', (d) => { d.objectives = []; }, true],
  ['a blank hint', (d) => { d.hints[0].text = '  '; }, true],
  ['a negative base score', (d) => { d.scoring.base = -5; }, true],
  ['a perfect window that is no duration', (d) => { d.scoring.perfect_window = '5 min'; }, true],
  ['a target tier that does not exist', (d) => { fault(d, 'cpu-app').target.tier = 'web'; }, CROSS_REF],
  ['a target vm that does not exist', (d) => { fault(d, 'fill').target.vm = 'app-7'; }, CROSS_REF],
  ['select count larger than the tier', (d) => { fault(d, 'cpu-app').target.select = { count: 3 }; }, CROSS_REF],
  ['a process fault on a service the tier does not run', (d) => { fault(d, 'stop-nginx').params.service = 'postgresql'; }, CROSS_REF],
  ['a db-connections fault on a tier without postgresql', (d) => { fault(d, 'pool').target = { tier: 'app' }; }, CROSS_REF],
  ['a config restart of a service the tier does not run', (d) => { fault(d, 'bad-push').params.restart = 'postgresql'; }, CROSS_REF],
  ['a fault-cleared check naming no fault', (d) => { check(d, 'net-ok').fault = 'slow-dbb'; }, CROSS_REF],
  ['duplicate fault ids', (d) => { fault(d, 'fill').id = 'leak'; }, UNIQUE_BY_KEY],
  ['duplicate objective ids', (d) => { d.objectives[1].id = 'cpu-ok'; }, UNIQUE_BY_KEY],
  ['duplicate tier names', (d) => { d.environment.tiers.push({ name: 'db', services: ['postgresql'] }); }, UNIQUE_BY_KEY],
  ['a fault that outlives the time limit', (d) => { fault(d, 'slow-db').duration = '19m'; }, ARITHMETIC],
  ['an alert after the time limit', (d) => { d.signals.alerts[0].fired_at = '25m'; }, 'compares a duration with another field\'s duration (JSON Schema compares a value only with constants)'],
  ['jitter above the latency', (d) => { fault(d, 'slow-db').params.jitter = '400ms'; }, 'compares the values of two fields (JSON Schema compares a value only with constants)'],
  ['an unknown run mode', (d) => { d.scenario.mode = 'drill'; }, true],
  ['an experiment without a steady state', (d) => { d.scenario.mode = 'experiment'; delete d.objectives; }, true],
  ['a guardrail share above 100%', (d) => { d.guardrails = { vm_mem: '150%' }; }, true],
  ['a misspelled guardrail', (d) => { d.guardrails = { vm_memory: '90%' }; }, true],
  ['a ramp of a single step', (d) => { fault(d, 'cpu-app').ramp = { load: ['50%'], every: '1m' }; }, true],
  ['a ramp without every', (d) => { fault(d, 'cpu-app').ramp = { load: ['20%', '50%'] }; }, true],
  ['a ramp of a param that is no intensity of its type', (d) => { fault(d, 'cpu-app').ramp = { lod: ['20%', '50%'], every: '1m' }; }, RAMP_BY_TYPE],
  ['a ramp step the type\'s params refuse', (d) => { fault(d, 'cpu-app').ramp = { load: ['20%', '500%'], every: '1m' }; }, RAMP_BY_TYPE],
];

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const schemaCheck = ajv.compile(JSON.parse(readFileSync(join(process.cwd(), SCENARIO_SCHEMA_FILE), 'utf8')) as object);
const agent = new FaultManager({ journal: { all: () => [] } as never, ctx: {} as never, fixPollMs: 2 ** 30 });

function agentAccepts(type: FaultType, params: unknown): boolean {
  try {
    agent.validate({ id: 'parity', type, params });
    return true;
  } catch (e) {
    assert.equal((e as { code?: string }).code, 'FAULT_INVALID', String(e));
    return false;
  }
}

/** Both param checks on every fault of `doc`; returns the faults whose params they refused. */
function paramVerdicts(doc: Doc, name: string): string[] {
  const refused: string[] = [];
  for (const f of (Array.isArray(doc.faults) ? doc.faults : []) as Doc[]) {
    if (!(FAULT_TYPES as readonly string[]).includes(f.type)) continue;
    const scenarioOk = FAULT_PARAMS[f.type as FaultType].safeParse(f.params ?? {}).success;
    assert.equal(agentAccepts(f.type, f.params ?? {}), scenarioOk, `${name}: the agent and validate disagree on ${f.id}'s params ${JSON.stringify(f.params)}`);
    if (!scenarioOk) refused.push(String(f.id));
  }
  return refused;
}

const validate = (doc: Doc): string[] => {
  const r = parseScenario(stringify(doc), 'parity.yaml');
  return r.ok ? [] : r.errors.map(formatIssue);
};

test('the base scenario passes validate, the JSON Schema and both param checks', () => {
  assert.deepEqual(validate(BASE), []);
  assert.ok(schemaCheck(BASE), JSON.stringify(schemaCheck.errors));
  assert.deepEqual(paramVerdicts(BASE, 'base'), []);
  assert.deepEqual([...new Set((BASE.faults as Doc[]).map((f) => f.type))].sort(), [...FAULT_TYPES].sort(), 'the base has every fault type');
});

test('the table has at least 40 mistakes, most of them expressible in a schema', () => {
  assert.ok(CASES.length >= 40, `${CASES.length} cases`);
  assert.ok(CASES.filter(([, , e]) => e === true).length >= 40);
});

for (const [name, mutate, expressible] of CASES) {
  test(`${name}: validate catches it; the JSON Schema ${expressible === true ? 'catches it' : 'cannot'}; the param checks agree`, () => {
    const doc = structuredClone(BASE);
    mutate(doc);
    const errors = validate(doc);
    assert.ok(errors.length >= 1, `validate let "${name}" through`);
    for (const e of errors) assert.match(e, /^parity\.yaml:\d+:\d+: /);
    const schemaOk = schemaCheck(doc);
    if (expressible === true) assert.equal(schemaOk, false, `the JSON Schema let "${name}" through`);
    else assert.equal(schemaOk, true, `the JSON Schema catches "${name}" after all (${JSON.stringify(schemaCheck.errors?.[0])}): mark it expressible`);
    const refused = paramVerdicts(doc, name);
    for (const id of refused) assert.ok(errors.some((e) => e.includes('.params')), `validate refused ${id}'s params without saying where`);
  });
}

test('a misspelled fault or check type is one error in the JSON Schema, not one per variant', () => {
  for (const mutate of [(d: Doc) => { fault(d, 'fill').type = 'diks'; }, (d: Doc) => { check(d, 'cpu-ok').type = 'agent-metrik'; }]) {
    const doc = structuredClone(BASE);
    mutate(doc);
    assert.equal(schemaCheck(doc), false);
    assert.deepEqual(schemaCheck.errors?.map((e: { keyword: string }) => e.keyword), ['enum'], JSON.stringify(schemaCheck.errors));
  }
});

test('what validate passes reaches the agent intact: every compiled fault of the base (numbers too) passes the agent\'s check', () => {
  const r = parseScenario(stringify(BASE), 'parity.yaml');
  assert.ok(r.ok);
  const plan = compileScenario(r.spec, { seed: 1 });
  assert.ok(plan.faults.length >= FAULT_TYPES.length);
  for (const f of plan.faults) {
    const params = { ...f.params, ...(f.durationMs === null ? {} : { duration: `${f.durationMs}ms` }) };
    assert.ok(agentAccepts(f.type, params), `${f.id} on ${f.vm}: ${JSON.stringify(params)}`);
  }
  assert.equal(plan.faults.find((f) => f.type === 'db-connections')?.params.connections, 50, 'a number stays a number');
});
