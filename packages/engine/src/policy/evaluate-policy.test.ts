import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue, type PolicySpec, type PuduError } from '@pudu/schema';
import { compileScenario } from '../compile-scenario.ts';
import { parseScenario } from '../parse-scenario.ts';
import { actorOf } from './actor.ts';
import { approvalProgress } from './approvals.ts';
import { DEFAULT_POLICY_YAML } from './default-policy.ts';
import { evaluatePolicy } from './evaluate-policy.ts';
import { MATRIX_CASES, matrixScenario } from './matrix-cases.ts';
import { parsePolicy } from './parse-policy.ts';

const ROOT = join(import.meta.dirname, '../../../..');
const AT = Date.parse('2026-12-01T10:00:00Z');

function policyOf(text: string): PolicySpec {
  const r = parsePolicy(text, 'policy.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
  return r.policy;
}

function plan(yaml: string) {
  const r = parseScenario(yaml, 's.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
  return compileScenario(r.spec, { seed: 1 });
}

const matrix = policyOf(readFileSync(join(ROOT, 'docs/examples/blast-radius-policy.yaml'), 'utf8'));

for (const c of MATRIX_CASES) {
  test(`the documented matrix: ${c.name} is ${c.expect}${c.rule ? ` by ${c.rule}` : ' by default'}`, () => {
    const d = evaluatePolicy(matrix, plan(matrixScenario(c.fault)), c.env, actorOf(matrix, c.as), AT);
    assert.equal(d.outcome, c.expect, d.reasons.join('; '));
    assert.equal(d.faults[0]?.rule, c.rule);
    assert.ok(d.faults[0]!.reason.length > 10);
  });
}

test('a stateful process stop in the lab needs two distinct SREs, and the proposer never counts', () => {
  const d = evaluatePolicy(matrix, plan(matrixScenario(MATRIX_CASES[1]!.fault)), 'lab', actorOf(matrix, 'engineer'), AT);
  assert.deepEqual(d.requirements, [{ count: 2, from: ['sre'] }]);
  const sre = (user: string) => ({ user, names: actorOf(matrix, 'sre').names });
  assert.equal(approvalProgress(d.requirements, [sre('ann'), sre('ann')], 'eve').met, false);
  assert.equal(approvalProgress(d.requirements, [sre('ann'), sre('eve')], 'eve').met, false);
  assert.equal(approvalProgress(d.requirements, [sre('ann'), { user: 'bob', names: ['engineer'] }], 'eve').met, false);
  assert.equal(approvalProgress(d.requirements, [sre('ann'), sre('bob')], 'eve').met, true);
});

test('an unknown environment is UNKNOWN_ENVIRONMENT with a suggestion', () => {
  assert.throws(() => evaluatePolicy(matrix, plan(matrixScenario(MATRIX_CASES[0]!.fault)), 'labb', actorOf(matrix, 'engineer'), AT),
    (e: PuduError) => e.code === 'UNKNOWN_ENVIRONMENT' && /did you mean "lab"/.test(e.message));
});

test('the environment caps the fleet size', () => {
  const big = matrixScenario(MATRIX_CASES[0]!.fault).replace('{ name: api, count: 2,', '{ name: api, count: 4,');
  const d = evaluatePolicy(matrix, plan(big), 'staging-replica', actorOf(matrix, 'sre'), AT);
  assert.equal(d.outcome, 'deny');
  assert.match(d.reasons[0]!, /staging-replica allows at most 4 VMs; the scenario has 5/);
});

test('a rule outside its time window does not match', () => {
  const p = policyOf(`environments: [{ name: lab }]
rules:
  - { name: office-hours, where: lab, when: "Mon-Fri 09:00-17:00 UTC", decision: allow }
`);
  const s = plan(matrixScenario(MATRIX_CASES[0]!.fault));
  assert.equal(evaluatePolicy(p, s, 'lab', actorOf(p, 'engineer'), AT).outcome, 'allow');
  const sunday = Date.parse('2026-12-06T10:00:00Z');
  const d = evaluatePolicy(p, s, 'lab', actorOf(p, 'engineer'), sunday);
  assert.equal(d.outcome, 'deny');
  assert.match(d.faults[0]!.considered[0]!.why, /outside Mon-Fri 09:00-17:00 UTC/);
});

test('between equally specific rules the more restrictive wins, whatever the order', () => {
  for (const order of [['a', 'd'], ['d', 'a']]) {
    const rules = order.map((n) => (n === 'a' ? '  - { name: a, what: { fault: process }, decision: allow }' : '  - { name: d, what: { fault: process }, decision: deny }'));
    const p = policyOf(`environments: [{ name: lab }]\nrules:\n${rules.join('\n')}\n`);
    const d = evaluatePolicy(p, plan(matrixScenario(MATRIX_CASES[0]!.fault)), 'lab', actorOf(p, 'engineer'), AT);
    assert.equal(d.faults[0]!.rule, 'd');
  }
});

test('the default policy allows every library scenario in training for an instructor, and nothing for an observer', () => {
  const p = policyOf(DEFAULT_POLICY_YAML);
  const files = ['monolith/disk-full', 'monolith/crashed-app-server', 'monolith/memory-leak', 'microservices/db-connection-exhaustion',
    'microservices/db-disk-full', 'microservices/dns-hijack-db', 'microservices/packet-loss-db', 'microservices/red-herring'];
  for (const f of files) {
    const s = plan(readFileSync(join(ROOT, 'scenarios', `${f}.yaml`), 'utf8'));
    assert.equal(evaluatePolicy(p, s, 'training', actorOf(p, 'instructor'), AT).outcome, 'allow', f);
    assert.equal(evaluatePolicy(p, s, 'training', actorOf(p, 'observer'), AT).outcome, s.faults.length ? 'deny' : 'allow', f);
  }
  const outside = plan(matrixScenario('{ id: f, type: config, target: { vm: api-0 }, params: { path: /root/.bashrc, match: "^x", replace: "y" } }'));
  assert.equal(evaluatePolicy(p, outside, 'training', actorOf(p, 'admin'), AT).outcome, 'deny');
});
