import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('./node-version.ts', import.meta.url));

function startWith(version: string): { status: number | null; stderr: string } {
  const code = `Object.defineProperty(process.versions, 'node', { value: '${version}' }); await import(${JSON.stringify(MODULE)}); console.log('started');`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr + r.stdout };
}

test("Debian 12's Node 18 gets a clear message and exit 1 before anything else runs", () => {
  const r = startWith('18.19.0');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Node.js 18.19.0 is too old; Pudu needs Node 20 or newer/);
  assert.match(r.stderr, /deb.nodesource.com\/setup_20.x/);
  assert.doesNotMatch(r.stderr, /started/);
});

test('Node 20 and newer start', () => {
  for (const v of ['20.0.0', '22.11.0']) assert.equal(startWith(v).status, 0, v);
});
