// A guest-image build killed during debootstrap leaves `base-<key>.tmp-<pid>` with the host's /proc
// mounted inside; the next build's prune must unmount it before removing the directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pruneGuestImages } from '../../packages/drivers/src/image/prune-images.ts';
import { mountsUnder, unmountUnderSync } from '../../packages/drivers/src/util/mounts.ts';

test('pruning removes a dead build\'s scratch root after unmounting the /proc debootstrap left in it', { skip: process.getuid?.() !== 0 && 'needs root (mount)' }, () => {
  const cache = mkdtempSync(join(tmpdir(), 'pudu-image-scratch-'));
  try {
    const deadPid = spawnSync('true').pid as number;
    const scratch = join(cache, 'image', `base-0123456789abcdef.tmp-${deadPid}`);
    mkdirSync(join(scratch, 'rootfs/proc'), { recursive: true });
    assert.equal(spawnSync('mount', ['-t', 'proc', 'proc', join(scratch, 'rootfs/proc')]).status, 0);
    const removed = pruneGuestImages(cache);
    assert.deepEqual(removed, [scratch]);
    assert.equal(existsSync(scratch), false);
    assert.deepEqual(mountsUnder([cache]), []);
  } finally {
    unmountUnderSync(cache);
    rmSync(cache, { recursive: true, force: true });
  }
});
