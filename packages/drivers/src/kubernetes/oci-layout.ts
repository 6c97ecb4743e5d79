/**
 * `pudu image export`: the guest image as an OCI image layout (image-spec v1.1: oci-layout,
 * index.json, blobs/sha256/…), one gzip layer of the rootfs, systemd as the command — what
 * `skopeo copy oci:DIR docker://registry/…` or `crane push` takes to a registry, and what
 * the kubernetes driver's Pods run.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../util/exec.ts';

export interface OciExport {
  dir: string;
  manifestDigest: string;
  layerDigest: string;
  layerBytes: number;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function blob(dir: string, data: string): { digest: string; size: number } {
  const hex = createHash('sha256').update(data).digest('hex');
  writeFileSync(join(dir, 'blobs', 'sha256', hex), data);
  return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
}

/** Writes `rootfsDir` as an OCI layout in `outDir` (replaced), tagged `ref`. */
export async function exportOciLayout(rootfsDir: string, outDir: string, ref: string): Promise<OciExport> {
  rmSync(outDir, { recursive: true, force: true });
  const blobs = join(outDir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const tarFile = join(outDir, 'layer.tar');
  // Numeric owners and no atime: the layer is the rootfs as the VM sees it, reproducible apart from mtimes.
  await run('tar', ['--numeric-owner', '--xattrs', '-C', rootfsDir, '-cf', tarFile, '.'], { errorCode: 'ASSETS_MISSING' });
  const diffId = await sha256File(tarFile);
  await run('gzip', ['-n', '-6', tarFile], { errorCode: 'ASSETS_MISSING' });
  const gz = `${tarFile}.gz`;
  const layerHex = await sha256File(gz);
  const layerBytes = statSync(gz).size;
  renameSync(gz, join(blobs, layerHex));
  const config = blob(outDir, JSON.stringify({
    architecture: 'amd64', os: 'linux',
    config: { Cmd: ['/lib/systemd/systemd'], Env: ['container=kata', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], StopSignal: 'SIGRTMIN+3' },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
    history: [{ created_by: 'pudu image export', comment: 'the Pudu guest image (docs/guest-image.md)' }],
  }));
  const manifest = blob(outDir, JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layerHex}`, size: layerBytes }],
  }));
  writeFileSync(join(outDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(outDir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': ref } }],
  }));
  return { dir: outDir, manifestDigest: manifest.digest, layerDigest: `sha256:${layerHex}`, layerBytes };
}
