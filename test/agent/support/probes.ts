/**
 * How each fault is seen from outside the sandbox (never by asking the agent): cgroup CPU
 * time and memory, `df` inside, ping RTT across the veth, `systemctl is-active`,
 * `getent hosts`. Also the fix a trainee would make for each.
 */
import { readFileSync } from 'node:fs';
import type { FaultType } from '@pudu/schema';
import { sh, type AgentSandbox } from './sandbox.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Share of one CPU the sandbox used over `ms`, from its cpuacct cgroup. */
export async function cpuPct(sb: AgentSandbox, ms = 1000): Promise<number> {
  const read = (): number => Number(readFileSync(`${sb.cgroups.cpuacct}/cpuacct.usage`, 'utf8'));
  const a = read();
  const t = performance.now();
  await sleep(ms);
  return ((read() - a) / 1e6 / (performance.now() - t)) * 100;
}

/** Memory in use by the sandbox in MiB (usage without inactive file cache, as the agent counts it). */
export function memUsedMb(sb: AgentSandbox): number {
  const usage = Number(readFileSync(`${sb.cgroups.memory}/memory.usage_in_bytes`, 'utf8'));
  const inactive = Number(/^total_inactive_file (\d+)/m.exec(readFileSync(`${sb.cgroups.memory}/memory.stat`, 'utf8'))?.[1] ?? 0);
  return (usage - inactive) / 1024 / 1024;
}

/** `df` use% of the sandbox's root, measured inside it. */
export async function diskUsedPct(sb: AgentSandbox): Promise<number> {
  const r = await sb.exec('df', '--output=pcent', '/');
  return Number(r.stdout.split('\n')[1]?.trim().replace('%', ''));
}

export interface PingStats {
  sent: number;
  received: number;
  lossPct: number;
  avgMs: number;
}

/** Pings the VM from the host across its veth (the route is checked first). */
export async function ping(sb: AgentSandbox, count = 5, intervalS = 0.2): Promise<PingStats> {
  const route = await sh('ip', ['route', 'get', sb.vmIp]);
  if (!route.stdout.includes(`dev vh${sb.index}`)) throw new Error(`refusing to ping: ${sb.vmIp} does not route via vh${sb.index}`);
  const r = await sh('ping', ['-n', '-q', '-c', String(count), '-i', String(intervalS), '-W', '2', sb.vmIp], 120_000);
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  const avg = /= [\d.]+\/([\d.]+)\//.exec(r.stdout);
  const sent = Number(m?.[1] ?? 0);
  const received = Number(m?.[2] ?? 0);
  return { sent, received, lossPct: sent ? ((sent - received) / sent) * 100 : 100, avgMs: avg ? Number(avg[1]) : NaN };
}

export async function unitState(sb: AgentSandbox, unit: string): Promise<string> {
  return (await sb.exec('systemctl', 'is-active', unit)).stdout.trim();
}

export async function resolve(sb: AgentSandbox, name: string): Promise<string> {
  return (await sb.exec('getent', 'hosts', name)).stdout.trim().split(/\s+/)[0] ?? '';
}

/** Milliseconds an HTTP GET of nginx in the VM takes, from the host. */
export async function httpMs(sb: AgentSandbox): Promise<number> {
  const t = performance.now();
  const r = await fetch(`http://${sb.vmIp}/`, { signal: AbortSignal.timeout(5000) });
  await r.text();
  return performance.now() - t;
}

/** What Postgres answers the app's role on a new connection: "ok" or its error. */
export async function appDbConnect(sb: AgentSandbox): Promise<string> {
  const r = await sb.exec('psql', '-h', '127.0.0.1', '-U', 'app', '-d', 'app', '-Atc', 'SELECT 1');
  return r.code === 0 && r.stdout.trim() === '1' ? 'ok' : r.stderr.trim();
}

/** Sessions of `application_name` in pg_stat_activity, asked as the superuser (a reserved slot). */
export async function dbSessions(sb: AgentSandbox, applicationName: string): Promise<number> {
  const q = `SELECT count(*) FROM pg_stat_activity WHERE application_name = '${applicationName}'`;
  const r = await sb.exec('runuser', '-u', 'postgres', '--', 'psql', '-Atc', q);
  if (r.code !== 0) throw new Error(`psql: ${r.stderr.trim()}`);
  return Number(r.stdout.trim());
}

export interface FaultProbe {
  type: FaultType;
  params: Record<string, unknown>;
  /** True when the fault's effect is visible from outside. */
  applied(sb: AgentSandbox): Promise<boolean>;
  /** True when the VM is back at its baseline. */
  baseline(sb: AgentSandbox): Promise<boolean>;
  /** What a trainee would do to fix it. */
  traineeFix(sb: AgentSandbox): Promise<void>;
}

const DNS_SPOOF = '10.9.9.9';

/** One probe per fault type; memory/cpu thresholds assume a 512 MB, 1-CPU sandbox. */
export const PROBES: Record<FaultType, FaultProbe> = {
  cpu: {
    type: 'cpu',
    params: { load: '80%' },
    // Thresholds leave room for a busy shared host, where a sandbox gets less than it asks for.
    applied: async (sb) => (await cpuPct(sb, 1000)) > 30,
    baseline: async (sb) => (await cpuPct(sb, 1000)) < 15,
    traineeFix: async (sb) => void (await sb.exec('pkill', '-KILL', '-f', 'report-generator')),
  },
  memory: {
    type: 'memory',
    params: { rate: '6000mb/min', ceiling: '45%' },
    applied: async (sb) => memUsedMb(sb) > 512 * 0.35,
    baseline: async (sb) => memUsedMb(sb) < 512 * 0.2,
    traineeFix: async (sb) => void (await sb.exec('pkill', '-KILL', '-f', 'cache-warmer')),
  },
  disk: {
    type: 'disk',
    params: { path: '/' },
    applied: async (sb) => (await diskUsedPct(sb)) === 100,
    // Not full any more, rather than "back to 3 %": Postgres in the sandbox writes its WAL
    // segment at some point, and the overlay copies those 16 MB up to the VM's disk (3 → 10 %).
    baseline: async (sb) => (await diskUsedPct(sb)) < 50,
    traineeFix: async (sb) => void (await sb.exec('rm', '-f', '/var/log/app/debug.log')),
  },
  network: {
    type: 'network',
    params: { action: 'delay', latency: '200ms' },
    applied: async (sb) => (await ping(sb, 3, 0.2)).avgMs > 150,
    baseline: async (sb) => (await ping(sb, 3, 0.2)).avgMs < 50,
    traineeFix: async (sb) => void (await sb.exec('iptables', '-w', '-D', 'OUTPUT', '-o', `vs${sb.index}`, '-j', `QOS-vs${sb.index}`)),
  },
  process: {
    type: 'process',
    params: { service: 'nginx', action: 'stop' },
    applied: async (sb) => (await unitState(sb, 'nginx')) !== 'active',
    baseline: async (sb) => (await unitState(sb, 'nginx')) === 'active',
    traineeFix: async (sb) => void (await sb.exec('systemctl', 'start', 'nginx')),
  },
  dns: {
    type: 'dns',
    params: { record: 'db.internal', resolve_to: DNS_SPOOF },
    applied: async (sb) => (await resolve(sb, 'db.internal')) === DNS_SPOOF,
    baseline: async (sb) => (await resolve(sb, 'db.internal')) === '10.0.0.5' && (await resolve(sb, 'localhost')) !== '',
    traineeFix: async (sb) => void (await sb.exec('sed', '-i', `/^${DNS_SPOOF.replace(/\./g, '\\.')}\\s/d`, '/etc/hosts')),
  },
  config: {
    type: 'config',
    params: { path: '/etc/nginx/nginx.conf', match: '^worker_processes ', replace: 'worker_processes many;', restart: 'nginx' },
    applied: async (sb) => (await unitState(sb, 'nginx')) !== 'active' && (await sb.exec('grep', '-q', '^worker_processes many;', '/etc/nginx/nginx.conf')).code === 0,
    baseline: async (sb) => (await unitState(sb, 'nginx')) === 'active' && (await sb.exec('grep', '-q', '^worker_processes auto;', '/etc/nginx/nginx.conf')).code === 0,
    // As an SRE would: nginx -t names the bad line; fix it and start nginx again.
    traineeFix: async (sb) => {
      await sb.exec('sed', '-i', 's/^worker_processes many;/worker_processes auto;/', '/etc/nginx/nginx.conf');
      await sb.exec('systemctl', 'restart', 'nginx');
    },
  },
  'db-connections': {
    type: 'db-connections',
    params: { connections: 'all' },
    applied: async (sb) => /remaining connection slots are reserved/.test(await appDbConnect(sb)),
    baseline: async (sb) => (await appDbConnect(sb)) === 'ok' && (await dbSessions(sb, 'report-export')) === 0,
    // As a DBA would: see who holds the sessions (ss shows the local client), stop that process.
    traineeFix: async (sb) => {
      const ss = await sb.exec('ss', '-Htnp', 'dport = :5432');
      const pid = /"report-export",pid=(\d+)/.exec(ss.stdout)?.[1];
      if (!pid) throw new Error(`no report-export client in ss: ${ss.stdout}`);
      await sb.exec('kill', '-KILL', pid);
    },
  },
};

/** Polls `check` until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 8000, stepMs = 200): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) return false;
    await sleep(stepMs);
  }
}
