import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGE_AGE_MS, backdateImage, shiftLogDates } from './backdate-image.ts';

const built = Date.parse('2026-11-29T15:19:00Z');

test('install-log dates of the build move back; older dates and other numbers stay', () => {
  const since = built - 90 * 86_400_000;
  assert.equal(shiftLogDates('2026-11-29 15:19:05 install base-passwd:amd64\nStart-Date: 2026-11-29  15:19:33\n2023-05-25 14:11:00 old\n', since, -86_400_000),
    '2026-11-28 15:19:05 install base-passwd:amd64\nStart-Date: 2026-11-28  15:19:33\n2023-05-25 14:11:00 old\n');
});

test('files the build wrote move back as one block; packaged files keep their dates; debootstrap\'s log goes', () => {
  const root = mkdtempSync(join(tmpdir(), 'pudu-img-'));
  try {
    mkdirSync(join(root, 'var/log'), { recursive: true });
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/hostname'), 'x\n');
    writeFileSync(join(root, 'etc/packaged.conf'), 'y\n');
    const packaged = Date.parse('2023-05-25T14:11:00Z') / 1000;
    utimesSync(join(root, 'etc/packaged.conf'), packaged, packaged);
    writeFileSync(join(root, 'var/log/bootstrap.log'), `URL -> "${root}/rootfs"\n`);
    writeFileSync(join(root, 'var/log/dpkg.log'), '2026-11-29 15:19:05 install x\n');
    symlinkSync('/nowhere', join(root, 'etc/link'));
    const hostnameBefore = lstatSync(join(root, 'etc/hostname')).mtimeMs;
    backdateImage(root, built);
    assert.ok(Math.abs(lstatSync(join(root, 'etc/hostname')).mtimeMs - (hostnameBefore - IMAGE_AGE_MS)) < 1);
    assert.equal(lstatSync(join(root, 'etc/packaged.conf')).mtimeMs, packaged * 1000);
    assert.ok(lstatSync(join(root, 'etc/link')).mtimeMs < built - 100 * 86_400_000, 'symlinks themselves, not their targets');
    assert.equal(existsSync(join(root, 'var/log/bootstrap.log')), false);
    assert.match(readFileSync(join(root, 'var/log/dpkg.log'), 'utf8'), /^2026-07-02 15:19:05 install x/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
