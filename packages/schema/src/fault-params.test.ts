import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_FAULT_PARAM_SCHEMAS, FAULT_PARAMS, FAULT_TYPES } from './fault-params.ts';

test('the agent schema of every fault type is its scenario schema extended: every scenario field, same rules', () => {
  for (const t of FAULT_TYPES) {
    const scenario = Object.keys(FAULT_PARAMS[t].shape);
    const agent = Object.keys(AGENT_FAULT_PARAM_SCHEMAS[t].shape);
    assert.deepEqual(agent.slice(0, scenario.length), scenario, t);
    assert.deepEqual(agent.slice(scenario.length).filter((k) => k !== 'duration' && k !== 'interface'), [], `${t}: only wire fields are added`);
    for (const k of scenario) assert.equal(AGENT_FAULT_PARAM_SCHEMAS[t].shape[k as never], FAULT_PARAMS[t].shape[k as never], `${t}.${k} is the same schema`);
  }
});

test('network rules hold on both sides with the path of the field they are about', () => {
  for (const schema of [FAULT_PARAMS.network, AGENT_FAULT_PARAM_SCHEMAS.network]) {
    const jitter = schema.safeParse({ action: 'delay', latency: '100ms', jitter: '200ms' });
    assert.deepEqual(jitter.error?.issues.map((i) => [i.path.join('.'), i.message]), [['jitter', 'must not exceed the latency (100ms)']]);
    assert.deepEqual(schema.safeParse({ action: 'loss' }).error?.issues.map((i) => i.path.join('.')), ['packet_loss']);
    assert.deepEqual(schema.safeParse({ action: 'loss', packet_loss: '5%', jitter: '5ms' }).error?.issues.map((i) => i.path.join('.')), ['jitter']);
    assert.ok(schema.safeParse({ action: 'delay', latency: '300ms', jitter: '50ms' }).success);
  }
});

test('a dns fault resolves to IPv4 or IPv6 on both sides, never a name', () => {
  for (const schema of [FAULT_PARAMS.dns, AGENT_FAULT_PARAM_SCHEMAS.dns]) {
    assert.ok(schema.safeParse({ record: 'db.internal', resolve_to: '10.0.0.66' }).success);
    assert.ok(schema.safeParse({ record: 'db.internal', resolve_to: 'fd00::66' }).success);
    assert.equal(schema.safeParse({ record: 'db.internal', resolve_to: 'evil.example' }).success, false);
    assert.equal(schema.safeParse({ record: 'db.internal', resolve_to: '10.0.0.256' }).success, false);
  }
});

test('only the agent takes a duration, and it must be longer than zero', () => {
  assert.equal(FAULT_PARAMS.cpu.safeParse({ load: '50%', duration: '30s' }).success, false);
  assert.ok(AGENT_FAULT_PARAM_SCHEMAS.cpu.safeParse({ load: '50%', duration: '30s' }).success);
  assert.equal(AGENT_FAULT_PARAM_SCHEMAS.cpu.safeParse({ load: '50%', duration: '0s' }).success, false);
});
