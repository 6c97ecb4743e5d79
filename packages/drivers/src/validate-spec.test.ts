import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPuduError } from '@pudu/schema';
import type { FleetSpec } from './driver.ts';
import { validateFleetSpec, type FleetLimits } from './validate-spec.ts';

const HYPERVISOR: FleetLimits = { maxVcpus: 32, wholeVcpus: true, minMemMb: 128, minDiskMb: 64 };
const VM = { name: 'api-0', tier: 'api', vcpus: 2, memMb: 256, diskMb: 512, services: ['nginx', 'postgresql@15-main'] };

function issuesOf(spec: FleetSpec, limits?: FleetLimits): string[] {
  try {
    validateFleetSpec(spec, limits);
  } catch (e) {
    assert.ok(isPuduError(e, 'BAD_REQUEST'), String(e));
    return (e.details as { issues: string[] }).issues;
  }
  return [];
}

test('a good fleet spec passes', () => {
  assert.deepEqual(issuesOf({ id: 'f-1', vms: [{ ...VM, vcpus: 0.5 }] }), []);
  assert.deepEqual(issuesOf({ id: 'f-1', vms: [VM] }, HYPERVISOR), []);
});

test('an empty fleet and every bad field are reported together', () => {
  assert.equal(issuesOf({ id: '', vms: [] }).length, 2);
  const issues = issuesOf({
    id: 'ok',
    vms: [
      { ...VM, name: 'API_0', memMb: 10, diskMb: 1.5, services: ['nginx', 'bad unit'] },
      { ...VM, name: 'api-0', vcpus: 0 },
      { ...VM, name: 'api-0' },
    ],
  });
  assert.deepEqual(issues.map((i) => i.split(':')[0]), ['vms[0].name', 'vms[0].memMb', 'vms[0].diskMb', 'vms[0].services[1]', 'vms[1].vcpus', 'vms[2].name']);
});

test('a fleet id up to 64 characters is accepted by every driver, but never one that could name a parent directory', () => {
  const long = `f${'a'.repeat(63)}`;
  assert.deepEqual(issuesOf({ id: long, vms: [VM] }, HYPERVISOR), []);
  for (const id of [`${long}a`, '..', '.', '.hidden', '-x', 'a/b']) assert.equal(issuesOf({ id, vms: [VM] }, HYPERVISOR).length, 1, id);
});

test('each driver brings its own limits: half a CPU is fine in the sandbox, not under a hypervisor', () => {
  assert.deepEqual(issuesOf({ id: 'f', vms: [{ ...VM, vcpus: 0.5 }] }), []);
  assert.match(issuesOf({ id: 'f', vms: [{ ...VM, vcpus: 0.5 }] }, HYPERVISOR)[0] ?? '', /vcpus: 0.5 must be an integer 1\.\.32/);
  assert.match(issuesOf({ id: 'f', vms: [{ ...VM, vcpus: 33 }] }, HYPERVISOR)[0] ?? '', /vcpus/);
  assert.match(issuesOf({ id: 'f', vms: [{ ...VM, memMb: 96 }] }, HYPERVISOR)[0] ?? '', /memMb: 96 must be an integer ≥ 128/);
  assert.deepEqual(issuesOf({ id: 'f', vms: [{ ...VM, memMb: 96 }] }), []);
});
