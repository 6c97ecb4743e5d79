/**
 * The VM's own view of its CPU and memory. On a real VM that is /proc; inside a namespace
 * sandbox /proc shows the host, so a cgroup limit smaller than the host wins (a 512 MB
 * sandbox reports 512 MB, not the host's 24 GiB).
 */
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { cpus as osCpus } from 'node:os';

const CGROUP_ROOT = process.env.PUDU_AGENT_CGROUP_ROOT ?? '/sys/fs/cgroup';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  const t = readText(path)?.trim();
  if (t === undefined || t === '' || t === 'max') return undefined;
  const n = Number(t.split(/\s+/)[0]);
  return Number.isFinite(n) ? n : undefined;
}

function statField(text: string | undefined, key: string): number | undefined {
  const m = text === undefined ? null : new RegExp(`^${key}\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

export interface MemoryReading {
  usedBytes: number;
  totalBytes: number;
  source: 'cgroup-v2' | 'cgroup-v1' | 'proc';
}

function readProcMemory(): MemoryReading {
  const text = readText('/proc/meminfo') ?? '';
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  const total = kb('MemTotal');
  return { usedBytes: Math.max(0, total - kb('MemAvailable')), totalBytes: total, source: 'proc' };
}

/** Memory in use (without reclaimable file cache, like MemAvailable) against the VM's total. */
export function readMemory(): MemoryReading {
  const proc = readProcMemory();
  const v2max = readNumber(`${CGROUP_ROOT}/memory.max`);
  if (v2max !== undefined && v2max < proc.totalBytes) {
    const cur = readNumber(`${CGROUP_ROOT}/memory.current`) ?? 0;
    const inactive = statField(readText(`${CGROUP_ROOT}/memory.stat`), 'inactive_file') ?? 0;
    return { usedBytes: Math.max(0, cur - inactive), totalBytes: v2max, source: 'cgroup-v2' };
  }
  const v1limit = readNumber(`${CGROUP_ROOT}/memory/memory.limit_in_bytes`);
  if (v1limit !== undefined && v1limit < proc.totalBytes) {
    const usage = readNumber(`${CGROUP_ROOT}/memory/memory.usage_in_bytes`) ?? 0;
    const inactive = statField(readText(`${CGROUP_ROOT}/memory/memory.stat`), 'total_inactive_file') ?? 0;
    return { usedBytes: Math.max(0, usage - inactive), totalBytes: v1limit, source: 'cgroup-v1' };
  }
  return proc;
}

export interface CpuReading {
  /** Cumulative CPU time used by the VM, in microseconds. */
  usedUs: number;
  /** How many CPUs the VM has (a cgroup quota may make it fractional). */
  cpus: number;
  source: 'cgroup-v2' | 'cgroup-v1' | 'proc';
}

const V1_CPU_DIRS = ['cpu,cpuacct', 'cpu'];
const V1_ACCT_DIRS = ['cpu,cpuacct', 'cpuacct'];

/** Cumulative CPU time and CPU count of the VM (cgroup quota when one is set, else /proc/stat). */
export function readCpu(): CpuReading {
  const v2 = readText(`${CGROUP_ROOT}/cpu.max`)?.trim().split(/\s+/);
  if (v2 && v2[0] !== 'max' && v2[0] !== undefined) {
    const used = statField(readText(`${CGROUP_ROOT}/cpu.stat`), 'usage_usec');
    if (used !== undefined) return { usedUs: used, cpus: Number(v2[0]) / Number(v2[1] ?? 100000), source: 'cgroup-v2' };
  }
  for (const dir of V1_CPU_DIRS) {
    const quota = readNumber(`${CGROUP_ROOT}/${dir}/cpu.cfs_quota_us`);
    const period = readNumber(`${CGROUP_ROOT}/${dir}/cpu.cfs_period_us`);
    if (quota === undefined || period === undefined || quota <= 0) continue;
    for (const acct of V1_ACCT_DIRS) {
      const ns = readNumber(`${CGROUP_ROOT}/${acct}/cpuacct.usage`);
      if (ns !== undefined) return { usedUs: ns / 1000, cpus: Math.min(quota / period, osCpus().length), source: 'cgroup-v1' };
    }
  }
  const line = (readText('/proc/stat') ?? '').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
  const busyTicks = f.reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0);
  return { usedUs: (busyTicks * 1_000_000) / 100, cpus: osCpus().length, source: 'proc' };
}

/** True when CPU or memory come from a cgroup, i.e. we are in a container and /proc/loadavg is the host's. */
export function isContainerView(): boolean {
  return readCpu().source !== 'proc' || readMemory().source !== 'proc';
}

/** Counts runnable and uninterruptible threads in our PID namespace (the kernel's definition of load). */
export function countLoadThreads(): number {
  let n = 0;
  for (const pid of listDir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    for (const tid of listDir(`/proc/${pid}/task`)) {
      const stat = readText(`/proc/${pid}/task/${tid}/stat`);
      if (stat === undefined) continue;
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      if (state === 'R' || state === 'D') n++;
    }
  }
  return n;
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

export interface DiskReading {
  totalBytes: number;
  freeBytes: number;
  usedPct: number;
}

/** Filesystem usage as `df` computes it (used / (used + available to users)). */
export function readDisk(path = '/'): DiskReading {
  const s = statfsSync(path);
  const used = (s.blocks - s.bfree) * s.bsize;
  const avail = s.bavail * s.bsize;
  return { totalBytes: s.blocks * s.bsize, freeBytes: avail, usedPct: used + avail === 0 ? 0 : (used / (used + avail)) * 100 };
}
