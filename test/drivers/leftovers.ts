/** Host objects of the driver tests' private index range, read from the kernel (not from Pudu's own records). */
import { readFileSync, readdirSync } from 'node:fs';
import { run } from '../../packages/drivers/src/util/exec.ts';
import { findPuduCgroups } from '../../packages/drivers/src/sandbox/cgroups.ts';
import { fleetChain } from '../../packages/drivers/src/index.ts';

function inRange(name: string, min: number, max: number): boolean {
  const m = /(\d+)$/.exec(name);
  return !!m && Number(m[1]) >= min && Number(m[1]) <= max;
}

function safeReaddir(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

/** Every object a sandbox VM with index in [min,max] or a fleet in `fleetIds` could leave behind. */
export async function leftovers(min: number, max: number, fleetIds: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const ns of safeReaddir('/run/netns')) if (ns.startsWith('pudu-vm') && inRange(ns, min, max)) out.push(`netns ${ns}`);
  for (const l of safeReaddir('/sys/class/net')) if (/^pudu-[hg]\d+$/.test(l) && inRange(l, min, max)) out.push(`link ${l}`);
  for (const g of findPuduCgroups()) if (inRange(g, min, max)) out.push(`cgroup ${g}`);
  for (const d of safeReaddir('/var/lib/pudu/sandbox')) if (inRange(d, min, max)) out.push(`state ${d}`);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
  for (const m of mounts) if (m.startsWith('/var/lib/pudu/sandbox/')) out.push(`mount ${m}`);
  const loops = (await run('losetup', ['-n', '-l', '-O', 'NAME,BACK-FILE'], { allowFail: true })).stdout;
  for (const line of loops.split('\n')) {
    const [dev, file] = line.trim().split(/\s+/, 2);
    const m = /\/pudu-vm(\d+)\//.exec(file ?? '');
    if (dev && m && inRange(m[1]!, min, max)) out.push(`loop ${dev} ${file}`);
  }
  // Processes whose cgroup is one of the range's VM cgroups (a VM's systemd and everything under it).
  for (const pid of safeReaddir('/proc').filter((p) => /^\d+$/.test(p))) {
    let cg = '';
    try {
      cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      // A zombie holds nothing but its pid: a killed VM's init reparented to a host PID 1
      // that reaps lazily (its v2 line then reads "/pudu-vmN/init.scope (deleted)").
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.charAt(stat.lastIndexOf(')') + 2) === 'Z') continue;
    } catch {
      continue;
    }
    const m = /\/pudu-vm(\d+)(\/|$)/m.exec(cg);
    if (m && inRange(m[1]!, min, max)) out.push(`process ${pid}`);
  }
  const rules = (await run('iptables', ['-w', '5', '-S'], { allowFail: true })).stdout;
  for (const f of fleetIds) if (rules.includes(fleetChain(f))) out.push(`iptables chain ${fleetChain(f)} (${f})`);
  for (const line of rules.split('\n')) {
    const m = /-i pudu-h(\d+) /.exec(line);
    if (m && inRange(m[1]!, min, max)) out.push(`iptables rule ${line}`);
  }
  return out;
}
