import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDataDir } from './data-dir-lock.ts';

test('a second server on the same data dir is refused; a stale lock from a dead process is taken over', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const release = lockDataDir(dir);
  release();
  assert.equal(existsSync(join(dir, 'pudu-server.pid')), false);
  // Held by a live process (our parent, certainly running while we check).
  writeFileSync(join(dir, 'pudu-server.pid'), `${process.ppid}\n`);
  assert.throws(() => lockDataDir(dir), (e: Error & { code?: string }) => e.code === 'CONFLICT' && /another pudu server/.test(e.message));
  // A pid that cannot exist (beyond pid_max) is stale.
  writeFileSync(join(dir, 'pudu-server.pid'), '99999999\n');
  const again = lockDataDir(dir);
  again();
});
