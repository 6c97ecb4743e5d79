import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { PuduApiError } from '@pudu/client';
import { REPO_ROOT, startTestServer } from '../server/harness.ts';

function pudu(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('pudu token reset-admin on the host replaces a lost admin token on a running server; create and revoke work there too', async (t) => {
  const s = await startTestServer(t);
  const reset = pudu('token', 'reset-admin', '--data-dir', s.dataDir, '--json');
  assert.equal(reset.code, 0, reset.err);
  const fresh = JSON.parse(reset.out) as { token: string; revoked: number; expiresAt: string };
  assert.equal(fresh.revoked, 1);
  assert.equal((await s.client(fresh.token).whoami()).role, 'admin');
  await assert.rejects(s.client().whoami(), (e: PuduApiError) => e.status === 401);

  const made = pudu('token', 'create', '--data-dir', s.dataDir, '--role', 'observer', '--ttl', '1h', '--json');
  assert.equal(made.code, 0, made.err);
  const obs = JSON.parse(made.out) as { id: string; token: string; expiresAt: string };
  assert.ok(Math.abs(Date.parse(obs.expiresAt) - Date.now() - 3600_000) < 60_000);
  assert.equal((await s.client(obs.token).whoami()).role, 'observer');
  const listed = JSON.parse(pudu('token', 'list', '--data-dir', s.dataDir, '--json').out) as { id: string; expiresAt: string }[];
  assert.ok(listed.some((x) => x.id === obs.id && x.expiresAt === obs.expiresAt));
  assert.equal(pudu('token', 'revoke', obs.id, '--data-dir', s.dataDir).code, 0);
  await assert.rejects(s.client(obs.token).whoami(), (e: PuduApiError) => e.status === 401);
  assert.notEqual(pudu('token', 'create', '--data-dir', s.dataDir, '--role', 'engineer', '--service').code, 0, 'a service token without --ttl is refused');
});
