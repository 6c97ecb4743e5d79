import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { packTar } from './tar-writer.ts';
import { configDiskEntries } from './guest-config.ts';

test('writes a config disk that tar unpacks into the files, modes and links of the VM', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-tar-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const long = `/etc/${'d'.repeat(60)}/${'f'.repeat(60)}`;
  const tar = packTar(configDiskEntries([
    { path: '/etc/hostname', content: 'api-0\n' },
    { path: '/etc/pudu/agent-token', content: 'secret\n', mode: 0o600 },
    { path: '/etc/systemd/system/multi-user.target.wants/nginx.service', symlink: '/lib/systemd/system/nginx.service' },
    { path: long, content: 'long path' },
  ]));
  assert.equal(tar.length % 10240, 0);
  assert.equal(tar.subarray(257, 262).toString(), 'ustar', 'the initramfs finds the config disk by this magic');
  writeFileSync(join(dir, 'c.tar'), tar);
  execFileSync('tar', ['-xf', 'c.tar', '--no-same-owner'], { cwd: dir });
  assert.equal(readFileSync(join(dir, 'etc/hostname'), 'utf8'), 'api-0\n');
  assert.equal(statSync(join(dir, 'etc/pudu/agent-token')).mode & 0o777, 0o600);
  assert.equal(readlinkSync(join(dir, 'etc/systemd/system/multi-user.target.wants/nginx.service')), '/lib/systemd/system/nginx.service');
  assert.equal(readFileSync(join(dir, long), 'utf8'), 'long path');
});
