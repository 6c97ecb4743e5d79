import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentFaultStartRequestSchema } from './agent-protocol.ts';
import { AGENT_FAULT_PARAM_SCHEMAS } from './fault-params.ts';

test('the seed’s curl example is a valid fault start request', () => {
  const req = AgentFaultStartRequestSchema.parse({ id: 'test', type: 'cpu', params: { load: '80%', duration: '30s' } });
  assert.deepEqual(AGENT_FAULT_PARAM_SCHEMAS.cpu.parse(req.params), { load: '80%', duration: '30s' });
});

test('every seed fault type accepts its documented params', () => {
  assert.ok(AGENT_FAULT_PARAM_SCHEMAS.memory.safeParse({ rate: '30mb/min', ceiling: '85%' }).success);
  assert.equal(AGENT_FAULT_PARAM_SCHEMAS.disk.parse({}).path, '/');
  assert.ok(AGENT_FAULT_PARAM_SCHEMAS.network.safeParse({ action: 'delay', latency: '300ms', jitter: '50ms' }).success);
  assert.ok(AGENT_FAULT_PARAM_SCHEMAS.network.safeParse({ action: 'loss', packet_loss: '20%' }).success);
  assert.ok(AGENT_FAULT_PARAM_SCHEMAS.process.safeParse({ service: 'nginx', action: 'degrade' }).success);
  assert.ok(AGENT_FAULT_PARAM_SCHEMAS.dns.safeParse({ record: 'db.internal', resolve_to: '10.0.0.66' }).success);
});

test('bad params are rejected with the path of every problem', () => {
  const r = AGENT_FAULT_PARAM_SCHEMAS.network.safeParse({ action: 'delay', jitter: '50ms', bogus: 1 });
  assert.equal(r.success, false);
  const paths = r.error?.issues.map((i) => i.path.join('.')) ?? [];
  assert.ok(paths.includes('latency'), paths.join());
  assert.equal(AGENT_FAULT_PARAM_SCHEMAS.cpu.safeParse({ load: '180%' }).success, false);
  assert.equal(AGENT_FAULT_PARAM_SCHEMAS.memory.safeParse({ rate: 'fast' }).success, false);
  assert.equal(AGENT_FAULT_PARAM_SCHEMAS.memory.safeParse({ rate: '30mb/min', ceiling: '99%' }).success, false, 'a ceiling that invites the OOM killer');
  assert.equal(AGENT_FAULT_PARAM_SCHEMAS.disk.safeParse({ path: 'relative' }).success, false);
  assert.equal(AGENT_FAULT_PARAM_SCHEMAS.process.safeParse({ service: 'nginx; rm -rf /', action: 'stop' }).success, false);
  assert.equal(AGENT_FAULT_PARAM_SCHEMAS.dns.safeParse({ record: 'db.internal', resolve_to: '300.1.1.1' }).success, false);
  assert.equal(AGENT_FAULT_PARAM_SCHEMAS.cpu.safeParse({ load: '50%', duration: '0s' }).success, false);
  assert.equal(AgentFaultStartRequestSchema.safeParse({ id: '../x', type: 'cpu', params: {} }).success, false);
  assert.equal(AgentFaultStartRequestSchema.safeParse({ id: 'x', type: 'kernel-panic', params: {} }).success, false);
});
