import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateFleetSpec } from './validate-spec.ts';

test('a good fleet spec passes', () => {
  validateFleetSpec({ id: 'f-1', vms: [{ name: 'api-0', tier: 'api', vcpus: 0.5, memMb: 256, diskMb: 512, services: ['nginx', 'postgresql@15-main'] }] });
});

test('an empty fleet and every bad field are reported together', () => {
  assert.throws(() => validateFleetSpec({ id: '', vms: [] }), (e: Error & { details: { issues: string[] } }) => {
    assert.equal(e.details.issues.length, 2);
    return true;
  });
});
