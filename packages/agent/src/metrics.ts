import type { AgentMetricsResponse } from '@pudu/schema';
import { countLoadThreads, isContainerView, readCpu, readDisk, readMemory, type CpuReading } from './vm-resources.ts';
import { readFileSync } from 'node:fs';
import { Gauge, Registry } from 'prom-client';
import { registerProcessMetrics } from './prom-defaults.ts';

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

/** The Prometheus view: prom-client gauges in base units (bytes, ratios 0–1), read at scrape time. */
interface PromView {
  registry: Registry;
  update(m: AgentMetricsResponse, faultStates: Record<string, number>): void;
}

let view: PromView | undefined;

function promView(): PromView {
  if (view) return view;
  const registry = new Registry();
  registerProcessMetrics(registry);
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge<string> => new Gauge({ name, help, labelNames, registers: [registry] });
  const g = {
    cpu: gauge('pudu_vm_cpu_usage_ratio', 'Share of the VM\'s CPUs busy over the last second (0-1)'),
    cpus: gauge('pudu_vm_cpus', 'CPUs of the VM (a quota may make it fractional)'),
    memUsed: gauge('pudu_vm_memory_used_bytes', 'Memory in use, without reclaimable cache'),
    memTotal: gauge('pudu_vm_memory_total_bytes', 'Memory of the VM'),
    memRatio: gauge('pudu_vm_memory_used_ratio', 'Memory in use over the VM\'s memory (0-1)'),
    diskFree: gauge('pudu_vm_disk_free_bytes', 'Root filesystem space available to users'),
    diskTotal: gauge('pudu_vm_disk_total_bytes', 'Root filesystem size'),
    diskRatio: gauge('pudu_vm_disk_used_ratio', 'Root filesystem used, as df computes it (0-1)'),
    load1: gauge('pudu_vm_load1', 'One-minute load average of the VM'),
    faults: gauge('pudu_agent_faults', 'Faults known to the agent, by state', ['state']),
  };
  view = {
    registry,
    update(m, faultStates) {
      const mem = readMemory();
      const disk = readDisk('/');
      g.cpu.set(m.cpu_pct / 100);
      g.cpus.set(m.cpus);
      g.memUsed.set(mem.usedBytes);
      g.memTotal.set(mem.totalBytes);
      g.memRatio.set(mem.totalBytes ? mem.usedBytes / mem.totalBytes : 0);
      g.diskFree.set(disk.freeBytes);
      g.diskTotal.set(disk.totalBytes);
      g.diskRatio.set(disk.usedPct / 100);
      g.load1.set(m.load_avg_1);
      g.faults.reset();
      for (const [state, n] of Object.entries(faultStates)) g.faults.set({ state }, n);
    },
  };
  return view;
}

/**
 * The agent's metrics in the Prometheus text format (`GET /metrics?format=prometheus`),
 * with the agent process's own default metrics. The JSON `/metrics` keeps the seed's names
 * (cpu_pct, disk_used_pct…) that scenario checks use.
 */
export async function renderPrometheus(m: AgentMetricsResponse, faultStates: Record<string, number>): Promise<string> {
  const v = promView();
  v.update(m, faultStates);
  return v.registry.metrics();
}

/** The content type of renderPrometheus's output. */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
