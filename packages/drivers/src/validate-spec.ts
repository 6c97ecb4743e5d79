/**
 * Checks a FleetSpec before any host object is created, reporting every problem at once
 * (Chaos Mesh's webhook style). One validator for every driver; each driver passes its
 * own limits (a namespace sandbox can cap a VM at half a CPU, a hypervisor cannot).
 */
import { PuduError } from '@pudu/schema';
import type { FleetSpec } from './driver.ts';

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const UNIT = /^[A-Za-z0-9@._-]+$/;
/** Starts with a letter or digit, so an id is never `.`/`..` (it names state directories). */
const FLEET_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** What one driver can run. */
export interface FleetLimits {
  /** Largest vcpus value for one VM. */
  maxVcpus: number;
  /** A hypervisor gives whole vCPUs; the sandbox's CFS quota can give 0.5. */
  wholeVcpus: boolean;
  minMemMb: number;
  minDiskMb: number;
}

/** The namespace sandbox: cgroup limits, fractions of a CPU allowed. */
export const SANDBOX_LIMITS: FleetLimits = { maxVcpus: 64, wholeVcpus: false, minMemMb: 64, minDiskMb: 64 };

/** Throws BAD_REQUEST listing every invalid field (path and reason) in `details.issues`. */
export function validateFleetSpec(spec: FleetSpec, limits: FleetLimits = SANDBOX_LIMITS): void {
  const issues: string[] = [];
  if (!FLEET_ID.test(spec.id)) issues.push(`id: "${spec.id}" must be 1–64 characters of [A-Za-z0-9_.-], starting with a letter or digit`);
  if (spec.vms.length === 0) issues.push('vms: a fleet needs at least one VM');
  const seen = new Set<string>();
  spec.vms.forEach((v, i) => {
    const at = `vms[${i}]`;
    if (!HOSTNAME.test(v.name)) issues.push(`${at}.name: "${v.name}" is not a valid hostname (lowercase letters, digits, '-')`);
    if (seen.has(v.name)) issues.push(`${at}.name: "${v.name}" is used twice`);
    seen.add(v.name);
    const vcpusOk = v.vcpus > 0 && v.vcpus <= limits.maxVcpus && (!limits.wholeVcpus || Number.isInteger(v.vcpus));
    if (!vcpusOk) issues.push(`${at}.vcpus: ${v.vcpus} must be ${limits.wholeVcpus ? `an integer 1..${limits.maxVcpus}` : `in (0, ${limits.maxVcpus}]`}`);
    if (!Number.isInteger(v.memMb) || v.memMb < limits.minMemMb) issues.push(`${at}.memMb: ${v.memMb} must be an integer ≥ ${limits.minMemMb}`);
    if (!Number.isInteger(v.diskMb) || v.diskMb < limits.minDiskMb) issues.push(`${at}.diskMb: ${v.diskMb} must be an integer ≥ ${limits.minDiskMb}`);
    v.services.forEach((s, j) => {
      if (!UNIT.test(s)) issues.push(`${at}.services[${j}]: "${s}" is not a systemd unit name`);
    });
  });
  if (issues.length) throw new PuduError('BAD_REQUEST', `invalid fleet spec:\n  ${issues.join('\n  ')}`, { issues });
}
