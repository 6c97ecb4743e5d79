/** Checks a FleetSpec before any host object is created, reporting every problem at once. */
import { PuduError } from '@pudu/schema';
import type { FleetSpec } from './driver.ts';

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const UNIT = /^[A-Za-z0-9@._-]+$/;
const MIN_MEM_MB = 64;
const MIN_DISK_MB = 64;

/** Throws BAD_REQUEST listing every invalid field (path and reason). */
export function validateFleetSpec(spec: FleetSpec): void {
  const issues: string[] = [];
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(spec.id)) issues.push(`id: "${spec.id}" must be 1–64 characters of [A-Za-z0-9_.-]`);
  if (spec.vms.length === 0) issues.push('vms: a fleet needs at least one VM');
  const seen = new Set<string>();
  spec.vms.forEach((v, i) => {
    const at = `vms[${i}]`;
    if (!HOSTNAME.test(v.name)) issues.push(`${at}.name: "${v.name}" is not a valid hostname (lowercase letters, digits, '-')`);
    if (seen.has(v.name)) issues.push(`${at}.name: "${v.name}" is used twice`);
    seen.add(v.name);
    if (!(v.vcpus > 0 && v.vcpus <= 64)) issues.push(`${at}.vcpus: ${v.vcpus} must be in (0, 64]`);
    if (!Number.isInteger(v.memMb) || v.memMb < MIN_MEM_MB) issues.push(`${at}.memMb: ${v.memMb} must be an integer ≥ ${MIN_MEM_MB}`);
    if (!Number.isInteger(v.diskMb) || v.diskMb < MIN_DISK_MB) issues.push(`${at}.diskMb: ${v.diskMb} must be an integer ≥ ${MIN_DISK_MB}`);
    v.services.forEach((s, j) => {
      if (!UNIT.test(s)) issues.push(`${at}.services[${j}]: "${s}" is not a systemd unit name`);
    });
  });
  if (issues.length) throw new PuduError('BAD_REQUEST', `invalid fleet spec:\n  ${issues.join('\n  ')}`, { issues });
}
