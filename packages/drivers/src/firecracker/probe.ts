/** Can Firecracker run VMs on this host? For `createDriver('auto')`; never guesses. */
import { constants, accessSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { firecrackerVersion } from './launch.ts';

export interface FirecrackerProbe {
  ok: boolean;
  reason: string;
  binary?: string;
}

/** The firecracker binary: $PUDU_FIRECRACKER_BINARY, else `firecracker` on PATH. */
export function findFirecracker(): string | undefined {
  const env = process.env.PUDU_FIRECRACKER_BINARY;
  if (env) return env;
  const r = spawnSync('sh', ['-c', 'command -v firecracker'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

/**
 * ok when a firecracker binary answers --version, /dev/kvm opens read-write, /dev/net/tun
 * exists and we are root (TAPs). A host where KVM opens but cannot boot a guest (nested
 * PVM) passes this probe; the first boot then fails with the console tail.
 */
export function probeFirecracker(): FirecrackerProbe {
  const binary = findFirecracker();
  if (!binary) return { ok: false, reason: 'no firecracker binary (not on PATH, $PUDU_FIRECRACKER_BINARY unset); install it from github.com/firecracker-microvm/firecracker/releases' };
  const version = firecrackerVersion(binary);
  if (!version) return { ok: false, reason: `${binary} --version failed`, binary };
  for (const dev of ['/dev/kvm', '/dev/net/tun']) {
    try {
      accessSync(dev, constants.R_OK | constants.W_OK);
    } catch (e) {
      return { ok: false, reason: `${dev} is not usable (${(e as NodeJS.ErrnoException).code ?? String(e)})`, binary };
    }
  }
  if (process.getuid?.() !== 0) return { ok: false, reason: 'TAP devices need root', binary };
  if (existsSync('/sys/module/kvm_pvm')) {
    return { ok: false, reason: 'KVM here is the nested PVM flavour, which boots no stock guest kernel', binary };
  }
  return { ok: true, reason: `${version} with /dev/kvm`, binary };
}

