/**
 * Fault-apply latency: for each fault type, the time from `POST /fault/start` to the effect
 * being observable from outside the VM, beside the bare mechanism's own time (the same
 * change made directly with nsenter + iptables/systemctl/fallocate/…, measured the same
 * way), as a ratio. Also the revert time. Prints figures; asserts nothing.
 *
 *   node --import tsx bench/agent-fault-apply.ts [--runs N] [--json]
 *
 * Needs root; runs in one namespace sandbox (VM index 215, see test/agent/support).
 * Observation polls every ≈5 ms (cpu: 50 ms windows), so figures carry that granularity.
 */
import { statfsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createAgentSandbox, sh, type AgentSandbox } from '../test/agent/support/sandbox.ts';
import { appDbConnect, memUsedMb, sleep } from '../test/agent/support/probes.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
const RUNS = Number(values.runs);
const POLL_MS = 5;
const SPOOF = '10.9.9.9';

interface Case {
  type: string;
  params: Record<string, unknown>;
  /** True once the effect is visible from outside. */
  observed(sb: AgentSandbox): Promise<boolean>;
  bareApply(sb: AgentSandbox): Promise<void>;
  bareRevert(sb: AgentSandbox): Promise<void>;
  bareName: string;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`${what}: effect not observed within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

function cpuWindowPct(sb: AgentSandbox): Promise<boolean> {
  const read = (): number => Number(readFileSync(`${sb.cgroups.cpuacct}/cpuacct.usage`, 'utf8'));
  const a = read();
  const t = performance.now();
  return sleep(50).then(() => ((read() - a) / 1e6 / (performance.now() - t)) * 100 > 30);
}

function diskFull(sb: AgentSandbox): boolean {
  const s = statfsSync(`/proc/${sb.pid1}/root/`);
  return s.bavail === 0;
}

function hostsHasSpoof(sb: AgentSandbox): boolean {
  return readFileSync(`/proc/${sb.pid1}/root/etc/hosts`, 'utf8').includes(SPOOF);
}

async function pingOnceMs(sb: AgentSandbox): Promise<number> {
  const r = await sh('ping', ['-n', '-c', '1', '-W', '2', sb.vmIp]);
  return Number(/time=([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
}

/** Runs a command in the sandbox and in its cgroups (nsenter alone leaves it in the host's). */
const ns = (sb: AgentSandbox, ...args: string[]): Promise<unknown> => {
  const join = [sb.cgroups.memory, sb.cgroups.cpu, sb.cgroups.cpuacct].map((d) => `echo $$ > ${d}/cgroup.procs`).join('; ');
  return sh('sh', ['-c', `${join}; exec nsenter -t ${sb.pid1} -a "$@"`, 'sh', ...args]);
};

let memBase = 0;
const CASES: Case[] = [
  {
    type: 'cpu',
    params: { load: '80%' },
    observed: cpuWindowPct,
    bareName: 'nsenter sh busy loop',
    bareApply: async (sb) => void (await ns(sb, 'sh', '-c', 'nohup sh -c "while :; do :; done" >/dev/null 2>&1 &')),
    bareRevert: async (sb) => void (await ns(sb, 'pkill', '-f', 'while :; do')),
  },
  {
    type: 'memory',
    params: { rate: '60000mb/min', ceiling: '40%' },
    observed: async (sb) => memUsedMb(sb) > memBase + 50,
    bareName: 'nsenter head -c 64M into a shell variable',
    bareApply: async (sb) => void (await ns(sb, 'sh', '-c', 'nohup sh -c \'x=$(head -c 64000000 /dev/zero | tr "\\0" a); sleep 60\' >/dev/null 2>&1 &')),
    bareRevert: async (sb) => void (await ns(sb, 'pkill', '-f', 'sleep 60')),
  },
  {
    type: 'disk',
    params: { path: '/' },
    observed: async (sb) => diskFull(sb),
    bareName: 'nsenter fallocate',
    bareApply: async (sb) => void (await ns(sb, 'sh', '-c', 'fallocate -l $(( $(stat -f -c "%f*%S" /) )) /var/tmp/fill 2>/dev/null; dd if=/dev/zero of=/var/tmp/fill oflag=append conv=notrunc bs=1M 2>/dev/null; true')),
    bareRevert: async (sb) => void (await ns(sb, 'rm', '-f', '/var/tmp/fill')),
  },
  {
    type: 'network',
    params: { action: 'delay', latency: '200ms' },
    observed: async (sb) => (await pingOnceMs(sb)) > 150,
    bareName: 'nsenter iptables + pudu-nfq',
    bareApply: async (sb) => {
      await ns(sb, 'sh', '-c', `nohup sh -c "/usr/local/lib/pudu/pudu-nfq --queue 7999 --delay-ms 200; :" >/dev/null 2>&1 & sleep 0.05; iptables -w -I OUTPUT -o vs${sb.index} -j NFQUEUE --queue-num 7999 --queue-bypass`);
    },
    bareRevert: async (sb) => {
      await ns(sb, 'sh', '-c', `iptables -w -D OUTPUT -o vs${sb.index} -j NFQUEUE --queue-num 7999 --queue-bypass; pkill -f 'pudu-nfq --queue 7999'; true`);
    },
  },
  {
    type: 'process',
    params: { service: 'nginx', action: 'stop' },
    observed: async (sb) => (await sb.exec('systemctl', 'is-active', 'nginx')).stdout.trim() !== 'active',
    bareName: 'nsenter systemctl stop',
    bareApply: async (sb) => void (await ns(sb, 'systemctl', 'stop', 'nginx')),
    bareRevert: async (sb) => void (await ns(sb, 'systemctl', 'start', 'nginx')),
  },
  {
    type: 'dns',
    params: { record: 'db.internal', resolve_to: SPOOF },
    observed: async (sb) => hostsHasSpoof(sb),
    bareName: 'nsenter sed -i',
    bareApply: async (sb) => void (await ns(sb, 'sed', '-i', `1i ${SPOOF}\tdb.internal`, '/etc/hosts')),
    bareRevert: async (sb) => void (await ns(sb, 'sed', '-i', `/^${SPOOF.replace(/\./g, '\\.')}/d`, '/etc/hosts')),
  },
  {
    type: 'db-connections',
    params: { connections: 'all' },
    observed: async (sb) => /remaining connection slots are reserved/.test(await appDbConnect(sb)),
    bareName: 'nsenter 40 × psql pg_sleep',
    bareApply: async (sb) => void (await ns(sb, 'sh', '-c', 'for i in $(seq 1 40); do nohup psql -h 127.0.0.1 -U app -d app -c "SELECT pg_sleep(60)" >/dev/null 2>&1 & done')),
    bareRevert: async (sb) => void (await ns(sb, 'pkill', '-f', 'pg_sleep')),
  },
  {
    type: 'config',
    params: { path: '/etc/nginx/nginx.conf', match: '^worker_processes ', replace: 'worker_processes many;', restart: 'nginx' },
    observed: async (sb) => (await sb.exec('systemctl', 'is-active', 'nginx')).stdout.trim() !== 'active',
    bareName: 'nsenter sed -i + systemctl restart',
    bareApply: async (sb) => void (await ns(sb, 'sh', '-c', "sed -i 's/^worker_processes auto;/worker_processes many;/' /etc/nginx/nginx.conf; systemctl restart nginx; true")),
    bareRevert: async (sb) => void (await ns(sb, 'sh', '-c', "sed -i 's/^worker_processes many;/worker_processes auto;/' /etc/nginx/nginx.conf; systemctl restart nginx")),
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const sb = await createAgentSandbox(215, { agentOpts: '--deadman 0' });
const agent = sb.client({ timeoutMs: 20_000 });
let accuracy: unknown;
const rows: { type: string; agent_ms: number; bare_ms: number; ratio: number; revert_ms: number; mechanism: string; bare: string }[] = [];
try {
  for (const c of CASES) {
    const agentMs: number[] = [];
    const bareMs: number[] = [];
    const revertMs: number[] = [];
    let mechanism = '';
    for (let i = 0; i < RUNS; i++) {
      await sleep(300);
      memBase = memUsedMb(sb);
      let t = performance.now();
      const rec = await agent.startFault({ id: `b-${c.type}-${i}`, type: c.type as never, params: { ...c.params, duration: '60s' } });
      mechanism = rec.mechanism ?? '';
      await waitFor(`agent ${c.type}`, () => c.observed(sb));
      agentMs.push(performance.now() - t);
      t = performance.now();
      await agent.stopFault(`b-${c.type}-${i}`);
      revertMs.push(performance.now() - t);

      await sleep(300);
      memBase = memUsedMb(sb);
      t = performance.now();
      await c.bareApply(sb);
      await waitFor(`bare ${c.type}`, () => c.observed(sb));
      bareMs.push(performance.now() - t);
      await c.bareRevert(sb);
    }
    const a = median(agentMs);
    const b = median(bareMs);
    rows.push({ type: c.type, agent_ms: Math.round(a), bare_ms: Math.round(b), ratio: Number((a / b).toFixed(2)), revert_ms: Math.round(median(revertMs)), mechanism, bare: c.bareName });
  }
  // Accuracy of the network path in use (NFQUEUE here, netem where the kernel has it).
  await agent.startFault({ id: 'acc-delay', type: 'network', params: { action: 'delay', latency: '300ms', duration: '60s' } });
  const d = await sh('ping', ['-n', '-c', '50', '-i', '0.05', sb.vmIp], 60_000);
  await agent.stopFault('acc-delay');
  const rtts = [...d.stdout.matchAll(/time=([\d.]+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  await agent.startFault({ id: 'acc-loss', type: 'network', params: { action: 'loss', packet_loss: '20%', duration: '60s' } });
  const l = await sh('ping', ['-n', '-q', '-c', '200', '-i', '0.01', '-W', '1', sb.vmIp], 60_000);
  await agent.stopFault('acc-loss');
  const m = /(\d+) packets transmitted, (\d+) received/.exec(l.stdout);
  accuracy = {
    delay_300ms: { pings: rtts.length, mean_ms: Number((rtts.reduce((a, b) => a + b, 0) / rtts.length).toFixed(1)), p5_ms: rtts[Math.floor(rtts.length * 0.05)] ?? NaN, p95_ms: rtts[Math.floor(rtts.length * 0.95)] ?? NaN },
    loss_20pct: { sent: Number(m?.[1]), lost_pct: Number((((Number(m?.[1]) - Number(m?.[2])) / Number(m?.[1])) * 100).toFixed(1)) },
  };
} finally {
  await sb.destroy();
}

if (values.json) {
  console.log(JSON.stringify({ runs: RUNS, rows, accuracy }, null, 2));
} else {
  console.log(`fault-apply latency, request → effect observed from outside (median of ${RUNS}; host load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`);
  console.log('type            agent ms   bare ms   ratio   revert ms   agent mechanism / bare mechanism');
  for (const r of rows) {
    console.log(`${r.type.padEnd(15)} ${String(r.agent_ms).padStart(8)} ${String(r.bare_ms).padStart(9)} ${r.ratio.toFixed(2).padStart(7)} ${String(r.revert_ms).padStart(11)}   ${r.mechanism} / ${r.bare}`);
  }
  console.log(`network accuracy: ${JSON.stringify(accuracy)}`);
}
