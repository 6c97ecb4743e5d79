/**
 * The documented outcomes of docs/examples/blast-radius-policy.yaml (docs/governance.md's
 * matrix): one scenario per case. The engine's tests and the server's "offline = API" test
 * both walk this table, so the docs, the engine and the API cannot disagree.
 */
import type { Outcome } from './evaluate-policy.ts';

export interface MatrixCase {
  name: string;
  /** One YAML fault entry (flow style), targeting tiers api (2 VMs) or db (1 VM). */
  fault: string;
  env: string;
  as: string;
  expect: Outcome;
  /** The rule that decides, null for the default deny. */
  rule: string | null;
}

/** A small two-tier scenario with the given fault: api ×2 (nginx, app-server), db ×1 (postgresql). */
export function matrixScenario(fault: string): string {
  return `scenario:
  id: matrix-case
  title: Policy matrix case
  difficulty: easy
  architecture: microservices
environment:
  tiers:
    - { name: api, count: 2, services: [nginx, app-server] }
    - { name: db, count: 1, services: [postgresql] }
faults:
  - ${fault}
objectives:
  - id: healthy
    description: api answers
    check: { type: http, target: { tier: api }, path: /healthz }
`;
}

export const MATRIX_CASES: MatrixCase[] = [
  { name: 'stop nginx in the lab as engineer', fault: '{ id: f, type: process, target: { vm: api-0 }, params: { service: nginx, action: stop } }', env: 'lab', as: 'engineer', expect: 'allow', rule: 'stateless-process-kill' },
  { name: 'stop postgresql in the lab as engineer', fault: '{ id: f, type: process, target: { vm: db-0 }, params: { service: postgresql, action: stop } }', env: 'lab', as: 'engineer', expect: 'approval', rule: 'stateful-process-kill-lab-only' },
  { name: 'stop postgresql in the lab as sre', fault: '{ id: f, type: process, target: { vm: db-0 }, params: { service: postgresql, action: stop } }', env: 'lab', as: 'sre', expect: 'approval', rule: 'stateful-process-kill-lab-only' },
  { name: 'stop postgresql in staging-replica as sre', fault: '{ id: f, type: process, target: { vm: db-0 }, params: { service: postgresql, action: stop } }', env: 'staging-replica', as: 'sre', expect: 'deny', rule: null },
  { name: 'stop postgresql in training as engineer', fault: '{ id: f, type: process, target: { vm: db-0 }, params: { service: postgresql, action: stop } }', env: 'training', as: 'engineer', expect: 'allow', rule: 'training-anything' },
  { name: 'restart nginx in training as instructor', fault: '{ id: f, type: process, target: { tier: api }, params: { service: nginx, action: restart } }', env: 'training', as: 'instructor', expect: 'allow', rule: 'training-anything' },
  { name: 'cpu 70% on one api VM in the lab as engineer', fault: '{ id: f, type: cpu, target: { tier: api, select: one }, params: { load: "70%" } }', env: 'lab', as: 'engineer', expect: 'allow', rule: 'lab-resource-pressure' },
  { name: 'cpu 90% on one api VM in the lab as engineer', fault: '{ id: f, type: cpu, target: { tier: api, select: one }, params: { load: "90%" } }', env: 'lab', as: 'engineer', expect: 'deny', rule: 'lab-resource-pressure' },
  { name: 'cpu 70% on the whole api tier in the lab as engineer', fault: '{ id: f, type: cpu, target: { tier: api }, params: { load: "70%" } }', env: 'lab', as: 'engineer', expect: 'deny', rule: 'lab-resource-pressure' },
  { name: '200 ms latency on api-0 in staging-replica as sre', fault: '{ id: f, type: network, target: { vm: api-0 }, params: { action: delay, latency: 200ms }, duration: 5m }', env: 'staging-replica', as: 'sre', expect: 'approval', rule: 'staging-replica-latency' },
  { name: '200 ms latency on api-0 in staging-replica as engineer', fault: '{ id: f, type: network, target: { vm: api-0 }, params: { action: delay, latency: 200ms }, duration: 5m }', env: 'staging-replica', as: 'engineer', expect: 'deny', rule: null },
  { name: '500 ms latency on api-0 in staging-replica as sre', fault: '{ id: f, type: network, target: { vm: api-0 }, params: { action: delay, latency: 500ms }, duration: 5m }', env: 'staging-replica', as: 'sre', expect: 'deny', rule: 'staging-replica-latency' },
  { name: 'dns hijack in the lab as engineer', fault: '{ id: f, type: dns, target: { tier: api }, params: { record: db-0, resolve_to: 10.0.0.66 } }', env: 'lab', as: 'engineer', expect: 'deny', rule: null },
  { name: 'disk fill in training as observer', fault: '{ id: f, type: disk, target: { vm: api-0 }, params: { path: / } }', env: 'training', as: 'observer', expect: 'deny', rule: null },
  { name: 'disk fill on api-0 in the lab as sre', fault: '{ id: f, type: disk, target: { vm: api-0 }, params: { path: / } }', env: 'lab', as: 'sre', expect: 'allow', rule: 'lab-resource-pressure' },
];
