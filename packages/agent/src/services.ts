import type { AgentServicesResponse } from '@pudu/schema';
import { PuduError } from '@pudu/schema';
import { run } from './exec.ts';

/** The systemd unit of a service name: `nginx` → `nginx.service`; a full unit name stays as it is. */
export function unitOf(service: string): string {
  return service.includes('.') ? service : `${service}.service`;
}

/** The VM's systemd service units and their states, for `process-running` checks. */
export async function listServices(): Promise<AgentServicesResponse> {
  const r = await run('systemctl', ['list-units', '--type=service', '--all', '--no-legend', '--plain', '--no-pager']);
  if (r.code !== 0) throw new PuduError('INTERNAL', `systemctl list-units failed: ${r.stderr.trim() || 'is systemd running?'}`);
  const services = r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    // Units that are only referenced but not installed ("not-found") are not services of this VM.
    .filter((f) => f.length >= 4 && (f[0] as string).endsWith('.service') && f[1] !== 'not-found')
    .map((f) => ({ name: (f[0] as string).replace(/\.service$/, ''), load: f[1] as string, active: f[2] as string, sub: f[3] as string }));
  return { services };
}
