import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { packInitramfs } from './cpio-newc.ts';

test('packs an archive that cpio unpacks with the same files, modes and links', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-cpio-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const archive = packInitramfs([
    { path: 'bin', type: 'dir', mode: 0o755 },
    { path: 'bin/tool', type: 'file', mode: 0o755, data: 'abc' },
    { path: 'bin/sh', type: 'symlink', mode: 0o777, data: 'tool' },
    { path: 'init', type: 'file', mode: 0o700, data: Buffer.from('#!/bin/sh\n') },
  ]);
  writeFileSync(join(dir, 'a.gz'), archive);
  const r = spawnSync('sh', ['-c', 'gzip -dc a.gz | cpio -idm --quiet'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(dir, 'bin/tool'), 'utf8'), 'abc');
  assert.equal(statSync(join(dir, 'init')).mode & 0o777, 0o700);
  assert.equal(readlinkSync(join(dir, 'bin/sh')), 'tool');
});

test('is reproducible: the same entries give the same bytes', () => {
  const entries = [{ path: 'x', type: 'file' as const, mode: 0o644, data: 'same' }];
  assert.deepEqual(packInitramfs(entries), packInitramfs(entries));
});
