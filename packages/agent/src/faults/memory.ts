import { parsePercent, parseRateBytesPerSecond, type AgentMemoryParams } from '@pudu/schema';
import type { FaultDriver } from './fault.ts';
import { helperLifecycle, startHelperUnit } from './helper-process.ts';

/** A cache service that grows without bound: the leak a trainee finds in `ps aux --sort=-rss`. */
const NAME = 'cache-warmer';
const TICK_MS = 250;
const CHUNK_BYTES = 1024 * 1024;

/**
 * The leaker grows at `rate` until the VM's memory in use reaches `ceiling` and holds
 * there, giving memory back when something else grows, so it never pushes the VM into
 * the OOM killer itself. It reads the same figures as the agent's metrics (cgroup when
 * the VM is a container, else /proc/meminfo). Pages are written so they are really used.
 */
const LEAK_JS = `
process.title = 'cache-warmer';
const fs = require('node:fs');
const [rateBps, ceilingPct, root] = process.argv.slice(-3);
const num = (p) => { try { const t = fs.readFileSync(p, 'utf8').trim(); return t === 'max' ? undefined : Number(t); } catch { return undefined; } };
const stat = (p, k) => { try { const m = new RegExp('^' + k + '\\\\s+(\\\\d+)', 'm').exec(fs.readFileSync(p, 'utf8')); return m ? Number(m[1]) : 0; } catch { return 0; } };
function mem() {
  const mi = fs.readFileSync('/proc/meminfo', 'utf8');
  const kb = (k) => Number((new RegExp('^' + k + ':\\\\s+(\\\\d+)', 'm').exec(mi) || [0, 0])[1]) * 1024;
  const total = kb('MemTotal');
  const v2 = num(root + '/memory.max');
  if (v2 !== undefined && v2 < total) return [num(root + '/memory.current') - stat(root + '/memory.stat', 'inactive_file'), v2];
  const v1 = num(root + '/memory/memory.limit_in_bytes');
  if (v1 !== undefined && v1 < total) return [num(root + '/memory/memory.usage_in_bytes') - stat(root + '/memory/memory.stat', 'total_inactive_file'), v1];
  return [total - kb('MemAvailable'), total];
}
const chunks = [];
let budget = 0;
setInterval(() => {
  const [used, total] = mem();
  const target = total * Number(ceilingPct) / 100;
  budget += Number(rateBps) * ${TICK_MS} / 1000;
  if (used > target + ${CHUNK_BYTES} * 4 && chunks.length) {
    chunks.splice(-Math.min(chunks.length, Math.ceil((used - target) / ${CHUNK_BYTES})));
    if (global.gc) global.gc();
    budget = 0;
    return;
  }
  let room = Math.min(budget, target - used);
  while (room >= ${CHUNK_BYTES}) {
    chunks.push(Buffer.allocUnsafe(${CHUNK_BYTES}).fill(0xa5));
    room -= ${CHUNK_BYTES};
    budget -= ${CHUNK_BYTES};
  }
  if (target - used < ${CHUNK_BYTES}) budget = 0;
}, ${TICK_MS});
`;

/** memory: a leaking helper process grows at `rate` up to `ceiling` of the VM's memory and holds there. */
export const memoryFault: FaultDriver<'memory'> = {
  type: 'memory',
  conflictKey: () => 'memory',
  ...helperLifecycle(NAME),
  async apply(_id, p: AgentMemoryParams, undo) {
    const rate = parseRateBytesPerSecond(p.rate) ?? 0;
    const ceiling = parsePercent(p.ceiling) ?? 85;
    undo.pid = await startHelperUnit({
      name: NAME,
      description: 'Cache warmer',
      script: LEAK_JS,
      args: [String(rate), String(ceiling), process.env.PUDU_AGENT_CGROUP_ROOT ?? '/sys/fs/cgroup'],
      nodeArgs: ['--expose-gc', '--max-old-space-size=64'],
      properties: ['OOMScoreAdjust=-500'],
    });
    return { mechanism: 'leaking-process' };
  },
};
