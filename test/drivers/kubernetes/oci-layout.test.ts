/**
 * `pudu image export` writes an OCI image layout a registry client accepts: skopeo (Debian's,
 * the tool that pushes it: `skopeo copy oci:DIR:REF docker://…`) reads it back, and every
 * digest matches its blob.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOciLayout } from '../../../packages/drivers/src/kubernetes/oci-layout.ts';

test('the export is an OCI layout skopeo reads, with systemd as its command and digests that match', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-oci-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  mkdirSync(join(rootfs, 'lib/systemd'), { recursive: true });
  writeFileSync(join(rootfs, 'etc/os-release'), 'ID=debian\n');
  writeFileSync(join(rootfs, 'lib/systemd/systemd'), '#!/bin/sh\n', { mode: 0o755 });
  const out = join(dir, 'oci');
  const r = await exportOciLayout(rootfs, out, 'pudu/guest:test');
  const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
  assert.equal(index.manifests[0]!.digest, r.manifestDigest);
  const manifestFile = join(out, 'blobs/sha256', r.manifestDigest.slice(7));
  assert.equal(sha(manifestFile), r.manifestDigest.slice(7));
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { config: { digest: string }; layers: { digest: string; size: number }[] };
  for (const b of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) assert.equal(sha(join(out, 'blobs/sha256', b.slice(7))), b.slice(7));
  const listing = execFileSync('tar', ['-tzf', join(out, 'blobs/sha256', r.layerDigest.slice(7))], { encoding: 'utf8' });
  assert.match(listing, /\.\/lib\/systemd\/systemd/);

  const skopeo = spawnSync('skopeo', ['inspect', '--config', `oci:${out}:pudu/guest:test`], { encoding: 'utf8' });
  assert.ok(!skopeo.error, `skopeo is not installed (apt-get install skopeo): ${skopeo.error?.message}`);
  assert.equal(skopeo.status, 0, skopeo.stderr);
  const cfg = JSON.parse(skopeo.stdout) as { config: { Cmd: string[] }; rootfs: { diff_ids: string[] } };
  assert.deepEqual(cfg.config.Cmd, ['/lib/systemd/systemd']);
  assert.equal(cfg.rootfs.diff_ids.length, 1);
  // The way to a registry: skopeo copies the layout into another format without complaint.
  const copy = spawnSync('skopeo', ['copy', `oci:${out}:pudu/guest:test`, `dir:${join(dir, 'copied')}`], { encoding: 'utf8' });
  assert.equal(copy.status, 0, copy.stderr);
});
