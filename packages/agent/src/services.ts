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
  const since = await upSince(services.filter((s) => s.active === 'active').map((s) => `${s.name}.service`));
  return { services: services.map((s) => ({ ...s, ...since.get(s.name) })) };
}

/**
 * How long each active unit has been up and how often systemd restarted it: a crash loop is
 * "active" for a moment per cycle, so `active` alone cannot tell a healthy unit from it.
 */
async function upSince(units: string[]): Promise<Map<string, { active_for_ms: number; restarts: number }>> {
  const out = new Map<string, { active_for_ms: number; restarts: number }>();
  if (units.length === 0) return out;
  const r = await run('systemctl', ['show', '--property=Id,ActiveEnterTimestampMonotonic,NRestarts', '--', ...units]);
  if (r.code !== 0) return out;
  // systemd's monotonic clock is CLOCK_MONOTONIC in µs, as is hrtime.
  const nowUs = Number(process.hrtime.bigint() / 1000n);
  for (const block of r.stdout.split('\n\n')) {
    const props = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const enteredUs = Number(props.ActiveEnterTimestampMonotonic);
    if (!props.Id || !Number.isFinite(enteredUs) || enteredUs <= 0) continue;
    out.set(props.Id.replace(/\.service$/, ''), { active_for_ms: Math.max(0, Math.round((nowUs - enteredUs) / 1000)), restarts: Number(props.NRestarts) || 0 });
  }
  return out;
}
