/** puduc's documented exit codes, from a real process against a real server (no VMs needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, startTestServer } from './harness.ts';

const run = promisify(execFile);

async function puduc(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/main.ts'), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

test('puduc exits 3 when the server is unreachable or the token is refused, 1 on rejected input, 0 with JSON on success', async (t) => {
  const s = await startTestServer(t);
  const down = await puduc(['fleet', 'list'], { PUDU_SERVER: 'http://127.0.0.1:1', PUDU_TOKEN: 'x' });
  assert.equal(down.code, 3, down.stderr);
  assert.match(down.stderr, /cannot reach the Pudu server at http:\/\/127\.0\.0\.1:1/);

  const noToken = await puduc(['scenario', 'list'], { PUDU_SERVER: s.url, PUDU_TOKEN: '' });
  assert.equal(noToken.code, 3);
  assert.match(noToken.stderr, /UNAUTHORIZED/);
  assert.match(noToken.stderr, /PUDU_TOKEN/);

  const invalid = await puduc(['scenario', 'run', 'packages/engine/src/fixtures/does-not-exist.yaml'], { PUDU_SERVER: s.url, PUDU_TOKEN: s.adminToken });
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /no such file/);

  const missingRun = await puduc(['scenario', 'status', 'rdeadbeef'], { PUDU_SERVER: s.url, PUDU_TOKEN: s.adminToken });
  assert.equal(missingRun.code, 1);
  assert.match(missingRun.stderr, /RUN_NOT_FOUND/);

  const usage = await puduc(['fleet', 'create', '--count', 'zero'], { PUDU_SERVER: s.url, PUDU_TOKEN: s.adminToken });
  assert.equal(usage.code, 2);

  const lib = await puduc(['scenario', 'list', '--library', '--json'], { PUDU_SERVER: s.url, PUDU_TOKEN: s.adminToken });
  assert.equal(lib.code, 0, lib.stderr);
  assert.ok((JSON.parse(lib.stdout) as { name: string }[]).some((e) => e.name === 'monolith/disk-full'));
});
