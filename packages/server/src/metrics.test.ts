import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { apiPath } from '@pudu/schema';
import { createMetrics } from './metrics.ts';
import { promtoolCheckMetrics, promtoolCheckRules, promtoolTestRules } from '../../../test/support/promtool.ts';

const DEPLOY = new URL('../../../deploy/', import.meta.url);
const PROMQL_WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'le', 'inf', 'nan',
]);

/** Metric names a PromQL expression reads: identifiers that are not functions, keywords, label names or strings. */
export function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const next = bare.slice(m.index! + m[0].length).trimStart();
    if (next.startsWith('(') || PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Every series name the server exports (histograms as their _bucket/_sum/_count series). */
function exportedNames(): Set<string> {
  const names = new Set<string>();
  for (const m of createMetrics().registry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${name}${s}`);
    else names.add(name);
  }
  return names;
}

test("the server's metrics pass promtool check metrics, in base units, with the old names gone", async () => {
  const m = createMetrics({
    countRuns: async () => ({ running: 2, resolved: 5 }),
    vms: async () => ({ used: 3, max: 256 }),
    faultsOverdue: async () => 1,
  });
  m.faultInjections.inc({ type: 'disk', result: 'applied' });
  m.fleetBootSeconds.observe({ driver: 'sandbox' }, 1.2);
  m.apiLatencySeconds.observe({ method: 'GET', route: apiPath('listFleets'), status: '200' }, 0.004);
  m.runEvents.inc({ kind: 'fault.applied' });
  const text = await m.registry.metrics();
  assert.deepEqual(promtoolCheckMetrics(text), []);
  assert.match(text, /^pudu_runs\{state="running"\} 2$/m);
  assert.match(text, /^pudu_vms 3$/m);
  assert.match(text, /^pudu_vms_max 256$/m);
  assert.match(text, /^pudu_faults_overdue 1$/m);
  assert.match(text, /^pudu_halt_engaged 0$/m);
  assert.match(text, /^process_cpu_seconds_total /m, 'standard process metric names');
  assert.doesNotMatch(text, /pudu_process_|^# TYPE \S+_total gauge$/m);
});

test('every Grafana dashboard query names only metrics the server exports', () => {
  const dash = JSON.parse(readFileSync(new URL('grafana/pudu.json', DEPLOY), 'utf8')) as { panels: { title: string; type: string; targets?: { expr: string }[] }[] };
  const exported = exportedNames();
  const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
  assert.ok(exprs.length >= 15, `${exprs.length} queries`);
  for (const { panel, expr } of exprs) {
    const names = metricNamesOf(expr);
    assert.ok(names.length > 0, `${panel}: no metric in ${expr}`);
    for (const n of names) assert.ok(exported.has(n), `${panel}: ${n} is not exported (${expr})`);
  }
  for (const want of ['pudu_runs', 'pudu_fleet_boot_seconds_bucket', 'pudu_time_to_fix_seconds_bucket', 'pudu_fault_injections_total', 'pudu_run_events_total', 'pudu_vms', 'pudu_api_request_duration_seconds_bucket']) {
    assert.ok(exprs.some((e) => metricNamesOf(e.expr).includes(want)), `the dashboard shows ${want}`);
  }
});

test('the alerting rules pass promtool check rules and their unit tests, and read only exported metrics', () => {
  const file = new URL('prometheus/alerts.yaml', DEPLOY).pathname;
  const check = promtoolCheckRules(file);
  assert.ok(check.ok, check.output);
  const unit = promtoolTestRules(new URL('prometheus/alerts.test.yaml', DEPLOY).pathname);
  assert.ok(unit.ok, unit.output);
  const rules = (parse(readFileSync(file, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
  const exported = exportedNames();
  for (const r of rules) for (const n of metricNamesOf(r.expr)) assert.ok(n === 'up' || exported.has(n), `${r.alert}: ${n} is not exported`);
  for (const a of ['PuduServerDown', 'PuduFaultHeldPastWindow', 'PuduCapacityExhausted', 'PuduHaltEngaged']) assert.ok(rules.some((r) => r.alert === a), a);
});

test('the metric-name reader skips functions, keywords, label names, ranges and strings', () => {
  assert.deepEqual(metricNamesOf('histogram_quantile(0.95, sum by (le, route) (rate(pudu_api_request_duration_seconds_bucket{job="$job", status=~"5.."}[5m])))'), ['pudu_api_request_duration_seconds_bucket']);
  assert.deepEqual(metricNamesOf('pudu_vms / pudu_vms_max > 0.9').sort(), ['pudu_vms', 'pudu_vms_max']);
  assert.deepEqual(metricNamesOf('up{job="pudu"} == 0 and on (instance) pudu_halt_engaged'), ['up', 'pudu_halt_engaged']);
});
