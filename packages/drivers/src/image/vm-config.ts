/**
 * The few files that make one VM of the image itself: hostname, the fleet's names in
 * /etc/hosts, which tier services run, the agent's token and options, where the app-server
 * finds its database. Shared by every driver (the sandbox writes them into a per-VM overlay
 * layer; a disk-image driver writes them into the VM's rootfs copy).
 */
import { GUEST_AGENT_ENV_PATH, GUEST_AGENT_TOKEN_PATH, GUEST_APP_ENV_PATH, GUEST_FILES } from './guest-files.ts';
import { TIER_SERVICES } from './recipe.ts';

export interface VmConfigInput {
  name: string;
  /** systemd units to enable (e.g. nginx, postgresql, app-server); names without `.service` are fine. */
  services: string[];
  /** Every VM of the fleet (including this one): name → guest IP. */
  fleet: { name: string; guestIp: string; services: string[] }[];
  /** Bearer token the agent requires; written to GUEST_AGENT_TOKEN_PATH (mode 0600). */
  agentToken?: string;
  /** Extra agent environment (PUDU_AGENT_*), written to GUEST_AGENT_ENV_PATH. */
  agentEnv?: Record<string, string>;
}

export type VmFile = { path: string; content: string; mode?: number } | { path: string; symlink: string };

const ENV_KEY = /^[A-Z_][A-Z0-9_]*$/;

function envFile(vars: Record<string, string>): string {
  return Object.entries(vars).map(([k, v]) => {
    if (!ENV_KEY.test(k)) throw new Error(`invalid environment variable name ${k}`);
    return `${k}=${JSON.stringify(v)}\n`;
  }).join('');
}

/** Files to lay over the image for one VM. */
export function renderVmFiles(input: VmConfigInput): VmFile[] {
  const hosts = [
    '127.0.0.1\tlocalhost',
    `127.0.1.1\t${input.name}`,
    '::1\tlocalhost ip6-localhost ip6-loopback',
    ...input.fleet.filter((m) => m.name !== input.name).map((m) => `${m.guestIp}\t${m.name}`),
  ];
  const db = input.fleet.find((m) => m.services.some((s) => s.replace(/\.service$/, '') === 'postgresql'));
  const dbHost = !db || db.name === input.name ? '127.0.0.1' : db.name;
  const appEnv = (GUEST_FILES[GUEST_APP_ENV_PATH] ?? '').replace(/^PGHOST=.*$/m, `PGHOST=${dbHost}`);
  const files: VmFile[] = [
    { path: '/etc/hostname', content: `${input.name}\n` },
    { path: '/etc/hosts', content: `${hosts.join('\n')}\n` },
    // No resolver is reachable from a lab VM; fail lookups at once instead of after 5 s.
    { path: '/etc/resolv.conf', content: 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' },
    { path: GUEST_APP_ENV_PATH, content: appEnv },
    { path: GUEST_AGENT_ENV_PATH, content: envFile({ PUDU_VM_NAME: input.name, ...(input.agentEnv ?? {}) }) },
  ];
  if (input.agentToken !== undefined) files.push({ path: GUEST_AGENT_TOKEN_PATH, content: `${input.agentToken}\n`, mode: 0o600 });
  for (const s of input.services) {
    const unit = s.endsWith('.service') ? s : `${s}.service`;
    files.push({ path: `/etc/systemd/system/multi-user.target.wants/${unit}`, symlink: unitPath(unit) });
  }
  return files;
}

function unitPath(unit: string): string {
  const name = unit.replace(/\.service$/, '');
  return (TIER_SERVICES as readonly string[]).includes(name) && name === 'app-server'
    ? `/etc/systemd/system/${unit}`
    : `/lib/systemd/system/${unit}`;
}
