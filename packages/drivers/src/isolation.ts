/**
 * What separates a VM's root from the host, per driver — said plainly at start and in
 * /api/v1/health, so an operator knows whom they may hand a root shell.
 */
import type { Isolation } from '@pudu/schema';
import type { DriverName } from './driver.ts';
import { VM_ID_BASE } from './sandbox/userns.ts';

/** The isolation a driver gives its VMs. */
export function driverIsolation(name: DriverName): Isolation {
  if (name === 'sandbox') {
    return {
      boundary: 'user-namespace',
      strength: 'moderate',
      summary: `Linux namespaces on the host's kernel: root in a VM is unprivileged host uid ${VM_ID_BASE}, with no host devices, `
        + 'no host mounts or sysctls and a reduced capability set; a host kernel bug reachable from a user namespace would be an escape — '
        + 'for trainees you would not give a shell on this host, use the qemu or firecracker driver',
    };
  }
  if (name === 'kubernetes') {
    return {
      boundary: 'cluster-runtime',
      strength: 'cluster-defined',
      summary: "each VM is a pod under the configured RuntimeClass: a VM runtime (Kata, Firecracker) gives a guest kernel, a plain container runtime shares the node's kernel — the cluster's runtime decides",
    };
  }
  return {
    boundary: 'hypervisor',
    strength: 'strong',
    summary: `each VM is a ${name === 'qemu' ? 'QEMU' : 'Firecracker'} guest with its own kernel: root in a VM must escape the hypervisor to reach the host`,
  };
}
