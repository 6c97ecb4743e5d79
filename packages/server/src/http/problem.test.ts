import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { PuduError, apiPath } from '@pudu/schema';
import { parseInput, toProblem } from './problem.ts';

test('a PuduError becomes problem+json with its code, status and located issues', () => {
  const p = toProblem(new PuduError('SCENARIO_INVALID', 'x.yaml: 1 problem', { errors: [{ file: 'x.yaml', line: 3, col: 7, path: 'faults[0].type', message: 'unknown type' }] }), apiPath('runScenario'));
  assert.deepEqual(p, {
    type: 'urn:pudu:problem:scenario-invalid', title: 'Unprocessable Content', status: 422, code: 'SCENARIO_INVALID',
    detail: 'x.yaml: 1 problem', instance: apiPath('runScenario'),
    errors: [{ file: 'x.yaml', line: 3, col: 7, path: 'faults[0].type', message: 'unknown type' }],
  });
});

test('fastify errors keep their 4xx meaning and a bug is a 500 that reveals nothing', () => {
  assert.equal(toProblem(Object.assign(new Error('Request body is too large'), { statusCode: 413 })).code, 'INPUT_TOO_LARGE');
  assert.equal(toProblem(Object.assign(new Error('Unexpected end of JSON input'), { statusCode: 400 })).code, 'BAD_REQUEST');
  const bug = toProblem(new TypeError('cannot read properties of undefined (secret path /etc/x)'));
  assert.equal(bug.status, 500);
  assert.equal(bug.detail, 'internal error');
});

test('a 5xx PuduError tells the client its code and an error id, never its message or details', () => {
  const e = new PuduError('VM_START_FAILED', "mount -o loop /var/lib/pudu/sandbox/pudu-vm3/disk.img failed: mknod: zero: File exists", { errors: [{ path: '/var/lib/pudu', message: 'x' }] });
  const p = toProblem(e, apiPath('listFleets'), 'a1b2c3d4e5f6');
  assert.deepEqual(p, {
    type: 'urn:pudu:problem:vm-start-failed', title: 'Internal Server Error', status: 500, code: 'VM_START_FAILED', instance: apiPath('listFleets'),
    detail: 'a VM could not be started (error id a1b2c3d4e5f6; the details are in the server log)', errorId: 'a1b2c3d4e5f6',
  });
  assert.doesNotMatch(JSON.stringify(toProblem(new PuduError('AGENT_UNREACHABLE', 'connect ECONNREFUSED 172.16.3.2:7777'))), /172\.16|ECONN/);
});

test('input validation lists every bad field with its path', () => {
  const schema = z.strictObject({ count: z.number().int().min(1), name: z.string() });
  assert.throws(() => parseInput(schema, { count: 0, extra: 1 }, 'body'), (e: PuduError) => {
    const errors = (e.details as { errors: { path: string }[] }).errors.map((x) => x.path);
    return e.code === 'BAD_REQUEST' && errors.includes('body.count') && errors.includes('body.name') && errors.some((p) => p === 'body');
  });
});
