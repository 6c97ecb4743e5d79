/**
 * Starting the firecracker process, directly or under the jailer, and waiting for its
 * API socket. Under the jailer every path the API sees is inside the chroot, so the
 * launcher also says where the VM's files must go and how the API names them.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PuduError } from '@pudu/schema';
import { startVmProcess, type VmProcess } from '../hypervisor/vm-process.ts';

const API_SOCKET_WAIT_MS = 10_000;
const API_SOCKET_POLL_MS = 10;
export const JAILER_CHROOT_BASE = '/srv/jailer';

export interface FirecrackerBinaries {
  firecracker: string;
  /** Run under the jailer (chroot, own uid/gid, optional netns). */
  jailer?: { path: string; uid: number; gid: number; chrootBase?: string; netns?: string };
}

export interface LaunchLayout {
  /** Where the VM's files live on the host. */
  filesDir: string;
  /** How the API must name a file placed in filesDir (`/rootfs.ext4` in a chroot, the host path otherwise). */
  apiPath: (file: string) => string;
  /** The API socket on the host. */
  apiSocket: string;
}

/** Layout for VM `id` whose state directory is `vmDir`. */
export function launchLayout(bin: FirecrackerBinaries, id: string, vmDir: string): LaunchLayout {
  if (!bin.jailer) return { filesDir: vmDir, apiPath: (f) => join(vmDir, f), apiSocket: join(vmDir, 'api.sock') };
  const root = join(bin.jailer.chrootBase ?? JAILER_CHROOT_BASE, 'firecracker', id, 'root');
  return { filesDir: root, apiPath: (f) => `/${f}`, apiSocket: join(root, 'run', 'firecracker.socket') };
}

/** argv for the firecracker (or jailer) process. */
export function launchArgs(bin: FirecrackerBinaries, id: string, layout: LaunchLayout): { cmd: string; args: string[] } {
  if (!bin.jailer) return { cmd: bin.firecracker, args: ['--api-sock', layout.apiSocket, '--id', id] };
  const j = bin.jailer;
  return {
    cmd: j.path,
    args: [
      '--id', id, '--exec-file', bin.firecracker, '--uid', String(j.uid), '--gid', String(j.gid),
      '--chroot-base-dir', j.chrootBase ?? JAILER_CHROOT_BASE,
      ...(j.netns ? ['--netns', j.netns] : []),
      '--', '--api-sock', '/run/firecracker.socket',
    ],
  };
}

/** Starts firecracker and resolves once its API socket exists; console output goes to `consoleLog`. */
export async function launchFirecracker(bin: FirecrackerBinaries, id: string, layout: LaunchLayout, consoleLog: string): Promise<VmProcess> {
  mkdirSync(layout.filesDir, { recursive: true });
  const { cmd, args } = launchArgs(bin, id, layout);
  let proc: VmProcess;
  try {
    proc = await startVmProcess(cmd, args, consoleLog);
  } catch (e) {
    throw new PuduError('VM_START_FAILED', (e as Error).message);
  }
  const deadline = Date.now() + API_SOCKET_WAIT_MS;
  while (!existsSync(layout.apiSocket)) {
    const exited = proc.exitReason();
    if (exited) throw new PuduError('VM_START_FAILED', `${cmd} exited (${exited}) before opening its API socket`);
    if (Date.now() > deadline) {
      await proc.stop();
      throw new PuduError('VM_START_FAILED', `${cmd} opened no API socket at ${layout.apiSocket} within ${API_SOCKET_WAIT_MS} ms`);
    }
    await new Promise((r) => setTimeout(r, API_SOCKET_POLL_MS));
  }
  return proc;
}

/** The firecracker binary's version line, or undefined. */
export function firecrackerVersion(path: string): string | undefined {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0]?.trim() : undefined;
}
