import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actorOf, compileScenario, evaluatePolicy, EXPLAIN_SEED, loadPolicyFile, parseScenario } from '@pudu/engine';
import type { PuduApiError } from '@pudu/client';
import { apiPath, type PuduError } from '@pudu/schema';
import { MATRIX_CASES, matrixScenario } from '../../packages/engine/src/policy/matrix-cases.ts';
import { REPO_ROOT, startTestServer, noVmDriver } from '../server/harness.ts';
import { startServer } from '../../packages/server/src/server.ts';
import { agentClientFactory } from '../../packages/server/src/runner/agent-port.ts';

const POLICY = join(REPO_ROOT, 'docs/examples/blast-radius-policy.yaml');
const AT = '2026-12-01T10:00:00.000Z';

test('policy explain gives the same answer offline and through the API for every documented case', async (t) => {
  const s = await startTestServer(t, { policyFile: POLICY });
  const loaded = await loadPolicyFile(POLICY);
  assert.ok(loaded.ok);
  const api = s.client();
  for (const c of MATRIX_CASES) {
    const yaml = matrixScenario(c.fault);
    const parsed = parseScenario(yaml, 'case.yaml');
    assert.ok(parsed.ok);
    const offline = evaluatePolicy(loaded.policy, compileScenario(parsed.spec, { seed: EXPLAIN_SEED }), c.env, actorOf(loaded.policy, c.as), Date.parse(AT));
    const online = await api.call('explainPolicy', { body: { yaml, file: 'case.yaml', environment: c.env, as: c.as, at: AT } });
    assert.deepEqual(online, offline, c.name);
    assert.equal(offline.outcome, c.expect, c.name);
  }
  await assert.rejects(api.call('explainPolicy', { body: { yaml: matrixScenario(MATRIX_CASES[0]!.fault), environment: 'prod' } }),
    (e: PuduApiError) => e.status === 422 && e.code === 'UNKNOWN_ENVIRONMENT');
  const info = await api.call('getPolicy', {});
  assert.deepEqual(info.environments.map((e) => e.name), ['training', 'lab', 'staging-replica']);
  assert.equal(info.valid, true);
});

test('a server refuses to start on a policy with errors, each located', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-gov-'));
  try {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, 'environments:\n  - name: lab\nrules:\n  - name: r\n    where: labb\n    decision: alow\n');
    await assert.rejects(startServer({
      host: '127.0.0.1', port: 0, database: join(dir, 'pudu.db'), driver: noVmDriver(), agentFactory: agentClientFactory,
      libraryDir: join(REPO_ROOT, 'scenarios'), webDir: dir, log: () => undefined, policyFile: file,
    }), (e: PuduError) => e.code === 'POLICY_INVALID' && /policy\.yaml:5:12: rules\[0\]\.where: unknown environment "labb" \(did you mean "lab"\?\)/.test(e.message)
      && /policy\.yaml:6:15: rules\[0\]\.decision: unknown value "alow"; expected one of allow, deny \(did you mean "allow"\?\)/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a token with a 2 s lifetime works, then gets 401 TOKEN_EXPIRED; ?token= is refused outside /ws', async (t) => {
  const s = await startTestServer(t);
  const short = await s.client().createToken({ role: 'engineer', name: 'short', ttl: '2s' });
  assert.equal((await s.client(short.token).whoami()).role, 'engineer');
  const listed = (await s.client().listTokens()).find((x) => x.id === short.id);
  assert.equal(listed?.expiresAt, short.expiresAt);
  await new Promise((r) => setTimeout(r, Date.parse(short.expiresAt) - Date.now() + 50));
  await assert.rejects(s.client(short.token).whoami(), (e: PuduApiError) => e.status === 401 && e.code === 'TOKEN_EXPIRED');
  const viaQuery = await fetch(`${s.url}${apiPath('whoami')}?token=${encodeURIComponent(s.adminToken)}`);
  assert.equal(viaQuery.status, 401);
  await assert.rejects(s.client().createToken({ role: 'engineer', kind: 'service' }), (e: PuduApiError) => e.status === 400);
  await assert.rejects(s.client().createToken({ role: 'sre' }), (e: PuduApiError) => e.status === 403);
});
