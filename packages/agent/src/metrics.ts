import type { AgentMetricsResponse } from '@pudu/schema';
import { countLoadThreads, isContainerView, readCpu, readDisk, readMemory, type CpuReading } from './vm-resources.ts';
import { readFileSync } from 'node:fs';

const SAMPLE_INTERVAL_MS = 1000;
const MB = 1024 * 1024;
const LOAD_WINDOW_S = 60;

/**
 * Samples CPU every second so `cpu_pct` is a real measurement over an interval (the
 * original's was a stub returning 0). Inside a container, /proc/loadavg is the host's,
 * so the 1-minute load is computed the kernel's way from our own PID namespace.
 */
export class MetricsSampler {
  private last: { at: number; cpu: CpuReading } | undefined;
  private cpuPct = 0;
  private load1 = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly ownLoad: boolean;

  constructor() {
    this.ownLoad = isContainerView();
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private sample(): void {
    const now = Date.now();
    const cpu = readCpu();
    if (this.last) {
      const wallUs = (now - this.last.at) * 1000;
      const used = cpu.usedUs - this.last.cpu.usedUs;
      if (wallUs > 0 && cpu.cpus > 0) this.cpuPct = Math.max(0, Math.min(100, (used / (wallUs * cpu.cpus)) * 100));
    }
    this.last = { at: now, cpu };
    if (this.ownLoad) {
      const decay = Math.exp(-(SAMPLE_INTERVAL_MS / 1000) / LOAD_WINDOW_S);
      this.load1 = this.load1 * decay + countLoadThreads() * (1 - decay);
    }
  }

  /** The current figures; `cpu_pct` is the share of the VM's CPUs used over the last second. */
  read(): AgentMetricsResponse {
    const mem = readMemory();
    const disk = readDisk('/');
    const cpu = this.last?.cpu ?? readCpu();
    const load1 = this.ownLoad ? this.load1 : Number((readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) ?? 0);
    return {
      cpu_pct: round(this.cpuPct),
      mem_used_pct: round(mem.totalBytes ? (mem.usedBytes / mem.totalBytes) * 100 : 0),
      mem_used_mb: round(mem.usedBytes / MB),
      mem_total_mb: round(mem.totalBytes / MB),
      disk_used_pct: round(disk.usedPct),
      disk_free_mb: round(disk.freeBytes / MB),
      disk_total_mb: round(disk.totalBytes / MB),
      load_avg_1: round(load1),
      cpus: round(cpu.cpus),
      source: { cpu: cpu.source, memory: mem.source },
      sampled_at: new Date().toISOString(),
    };
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

const PROM_HELP: Record<string, string> = {
  cpu_pct: 'Share of the VM CPUs busy over the last second, percent',
  mem_used_pct: 'Memory in use (without reclaimable cache), percent of the VM total',
  mem_used_mb: 'Memory in use, MiB',
  mem_total_mb: 'Memory of the VM, MiB',
  disk_used_pct: 'Root filesystem used, percent (as df computes it)',
  disk_free_mb: 'Root filesystem space available, MiB',
  disk_total_mb: 'Root filesystem size, MiB',
  load_avg_1: 'One-minute load average of the VM',
  cpus: 'CPUs of the VM',
};

/** Renders metrics (and fault counts by state) in the Prometheus text exposition format. */
export function renderPrometheus(m: AgentMetricsResponse, faultStates: Record<string, number>): string {
  const lines: string[] = [];
  for (const [key, help] of Object.entries(PROM_HELP)) {
    const name = `pudu_vm_${key}`;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${(m as unknown as Record<string, number>)[key]}`);
  }
  lines.push('# HELP pudu_agent_faults Faults known to the agent by state', '# TYPE pudu_agent_faults gauge');
  for (const [state, n] of Object.entries(faultStates)) lines.push(`pudu_agent_faults{state="${state}"} ${n}`);
  return lines.join('\n') + '\n';
}
