/**
 * The few files that make one VM of the image itself: hostname, the fleet's names in
 * /etc/hosts, which tier services run, the agent's public key and options, where the app-server
 * finds its database. Shared by every driver (the sandbox writes them into a per-VM overlay
 * layer; a disk-image driver writes them into the VM's rootfs copy).
 */
import { GUEST_AGENT_ENV_PATH, GUEST_AGENT_KEY_PATH, GUEST_APP_ENV_PATH, GUEST_FILES } from './guest-files.ts';
import { generateKeyPairSync } from 'node:crypto';
import { PuduError } from '@pudu/schema';
import { TIER_SERVICES } from './recipe.ts';

export interface VmConfigInput {
  name: string;
  /** systemd units to enable (e.g. nginx, postgresql, app-server); names without `.service` are fine. */
  services: string[];
  /** Every VM of the fleet (including this one): name → guest IP. */
  fleet: { name: string; guestIp: string; services: string[] }[];
  /** The fleet's Ed25519 public key (raw base64url), written to GUEST_AGENT_KEY_PATH. Default: a key nobody holds the private half of. */
  agentPublicKey?: string;
  /** The fleet's id: the agent's audience is `<fleetId>/<name>`. */
  fleetId?: string;
  /** Extra pudu-agent flags (e.g. ['--deadman', '60s']), written as PUDU_AGENT_OPTS to GUEST_AGENT_ENV_PATH. */
  agentOpts?: string[];
}

export type VmFile = { path: string; content: string; mode?: number } | { path: string; symlink: string };

/** systemd splits an unbraced $VAR on whitespace, so a flag value cannot contain spaces or quotes. */
const SAFE_OPT = /^[A-Za-z0-9_@%+=:,./-]+$/;

function agentEnvFile(opts: string[]): string {
  for (const o of opts) {
    if (!SAFE_OPT.test(o)) throw new PuduError('BAD_REQUEST', `agent option "${o}" contains characters a systemd environment file cannot carry`);
  }
  return `PUDU_AGENT_OPTS="${opts.join(' ')}"\n`;
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
  // No database VM in the fleet: an empty PGHOST tells the app-server it has none (healthy alone).
  const dbHost = !db ? '' : db.name === input.name ? '127.0.0.1' : db.name;
  const appEnv = (GUEST_FILES[GUEST_APP_ENV_PATH] ?? '').replace(/^PGHOST=.*$/m, `PGHOST=${dbHost}`);
  const files: VmFile[] = [
    { path: '/etc/hostname', content: `${input.name}\n` },
    { path: '/etc/hosts', content: `${hosts.join('\n')}\n` },
    // No resolver is reachable from a lab VM; fail lookups at once instead of after 5 s.
    { path: '/etc/resolv.conf', content: 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' },
    { path: GUEST_APP_ENV_PATH, content: appEnv },
    { path: GUEST_AGENT_ENV_PATH, content: agentEnvFile([...(input.fleetId ? ['--audience', `${input.fleetId}/${input.name}`] : []), ...(input.agentOpts ?? [])]) },
    // Without a key from the server the agent still starts (and answers /health) but nobody can drive it.
    { path: GUEST_AGENT_KEY_PATH, content: `${input.agentPublicKey ?? generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64url')}\n`, mode: 0o644 },
  ];
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
