// The agent test rootfs build must survive what a new machine does to it: a kill half-way
// (debootstrap's /proc mount left inside the half-built root), a failure (reported with the tail
// of its log), and the next attempt after either. debootstrap itself is replaced by a script that
// behaves like it (prints progress, mounts /proc in its target, fails or hangs) so that each case
// takes a second instead of minutes; the real one runs in every CI run's setup on an empty cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mountsUnder, unmountUnderSync } from '../../packages/drivers/src/util/mounts.ts';

const SCRIPT = new URL('./support/prepare-rootfs.sh', import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;

function fakeDebootstrap(dir: string, behaviour: 'fail' | 'hang'): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  // Called as: debootstrap --variant=… --include=… SUITE TARGET MIRROR
  writeFileSync(join(bin, 'debootstrap'), `#!/bin/sh
for a; do target=$prev; prev=$a; done
mkdir -p "$target/proc"
mount -t proc proc "$target/proc"
i=0; while [ $i -lt 60 ]; do echo "I: Retrieving package $i"; i=$((i+1)); done
${behaviour === 'fail' ? 'echo "E: Couldn\'t download packages: the mirror said no"; exit 1' : 'echo "I: Unpacking"; exec sleep 600'}
`);
  chmodSync(join(bin, 'debootstrap'), 0o755);
  return bin;
}

function runScript(cache: string, bin: string, killAfterMs?: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [SCRIPT], { env: { ...process.env, PUDU_CACHE_DIR: cache, PATH: `${bin}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    if (killAfterMs !== undefined) {
      // Kill once the fake debootstrap has mounted /proc in the half-built root, as a timeout would.
      const t = setInterval(() => {
        if (mountsUnder([join(cache, 'agent-test-rootfs.tmp')]).length > 0) {
          clearInterval(t);
          setTimeout(() => child.kill('SIGTERM'), killAfterMs);
        }
      }, 20);
      child.on('exit', () => clearInterval(t));
    }
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

function withCache(fn: (cache: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const cache = mkdtempSync(join(tmpdir(), 'pudu-rootfs-test-'));
    try {
      await fn(cache);
    } finally {
      unmountUnderSync(cache);
      rmSync(cache, { recursive: true, force: true });
    }
  };
}

test('a failed debootstrap is reported with the tail of its log and leaves nothing mounted or half-built', { skip: !isRoot && 'needs root (mount)' }, withCache(async (cache) => {
  const r = await runScript(cache, fakeDebootstrap(cache, 'fail'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /debootstrap failed; last lines of/);
  assert.match(r.stderr, /Couldn't download packages/);
  assert.ok(r.stderr.split('\n').length < 40, `the failure is a tail, not the whole log:\n${r.stderr}`);
  assert.deepEqual(mountsUnder([cache]), []);
  assert.equal(existsSync(join(cache, 'agent-test-rootfs.tmp')), false);
  assert.match(readFileSync(join(cache, 'agent-test-rootfs.log'), 'utf8'), /Retrieving package 59/);
}));

test('a build killed half-way unmounts the host /proc it left in the half-built root and removes it', { skip: !isRoot && 'needs root (mount)' }, withCache(async (cache) => {
  const r = await runScript(cache, fakeDebootstrap(cache, 'hang'), 100);
  assert.equal(r.code, 143);
  assert.deepEqual(mountsUnder([cache]), []);
  assert.equal(existsSync(join(cache, 'agent-test-rootfs.tmp')), false);
}));

test('the next attempt recovers from a half-built root whose /proc is still mounted (the killer skipped every cleanup)', { skip: !isRoot && 'needs root (mount)' }, withCache(async (cache) => {
  const leftover = join(cache, 'agent-test-rootfs.tmp');
  mkdirSync(join(leftover, 'proc'), { recursive: true });
  await new Promise<void>((resolve, reject) => {
    spawn('mount', ['-t', 'proc', 'proc', join(leftover, 'proc')]).on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`mount exited ${c}`))));
  });
  const r = await runScript(cache, fakeDebootstrap(cache, 'fail'));
  // It got as far as running debootstrap again: the leftover did not stop it.
  assert.match(r.stderr, /debootstrap failed/);
  assert.deepEqual(mountsUnder([cache]), []);
  assert.equal(existsSync(leftover), false);
}));
