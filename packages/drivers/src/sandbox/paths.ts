/** Where the sandbox driver keeps per-VM state on the host. Everything is under one `pudu` directory so cleanup finds it. */
import { join } from 'node:path';

/** Per-VM state: disk image, console log, config layer, metadata. On disk, not tmpfs: the VM disk can be GBs. */
export function sandboxStateRoot(): string {
  return process.env.PUDU_STATE_DIR ? join(process.env.PUDU_STATE_DIR, 'sandbox') : '/var/lib/pudu/sandbox';
}

/** Mount point of the lxcfs instance all VMs shared before each got its own (cleanup still removes it). */
export function lxcfsMountPoint(): string {
  return process.env.PUDU_STATE_DIR ? join(process.env.PUDU_STATE_DIR, 'lxcfs') : '/var/lib/pudu/lxcfs';
}

export interface VmPaths {
  dir: string;
  disk: string;
  diskMount: string;
  root: string;
  conf: string;
  /** Mount point of the idmapped image view (used inside the VM's mount namespace only). */
  imageView: string;
  consoleLog: string;
  meta: string;
  /** Host-owned directory bound into the VM at the agent's socket directory. */
  agentDir: string;
  agentSocket: string;
  /** Mount point of the VM's own lxcfs (mounted only inside the VM's mount namespaces) and its pid file. */
  lxcfs: string;
  lxcfsPidfile: string;
}

/** Paths of one sandbox VM, named by its host object name (pudu-vmN). */
export function vmPaths(netnsName: string): VmPaths {
  const dir = join(sandboxStateRoot(), netnsName);
  return {
    dir,
    disk: join(dir, 'disk.img'),
    diskMount: join(dir, 'disk'),
    root: join(dir, 'root'),
    conf: join(dir, 'conf'),
    imageView: join(dir, 'image'),
    consoleLog: join(dir, 'console.log'),
    meta: join(dir, 'vm.json'),
    agentDir: join(dir, 'agent'),
    agentSocket: join(dir, 'agent', 'agent.sock'),
    lxcfs: join(dir, 'lxcfs'),
    lxcfsPidfile: join(dir, 'lxcfs.pid'),
  };
}
