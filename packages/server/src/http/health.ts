/**
 * Probes for load balancers and service managers, without a token (they carry no secret
 * and reveal no run): healthz says the process answers (liveness), readyz says it
 * can take work — the store answers, the driver answers, and a VM can still be started.
 */
import type { ReadyCheck } from '@pudu/schema';
import type { ServerContext } from '../context.ts';
import type { Handlers } from './app.ts';

const CHECK_TIMEOUT_MS = 2000;

async function timed(fn: () => Promise<string>): Promise<ReadyCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS); });
  try {
    const detail = await Promise.race([fn(), timeout]);
    return { ok: true, detail, ms: Math.round(performance.now() - started) };
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : String(e), ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the readiness checks; `ok` only when every one passes. */
export async function readiness(ctx: ServerContext): Promise<{ ok: boolean; checks: Record<string, ReadyCheck> }> {
  const [store, driver, capacity] = await Promise.all([
    timed(async () => {
      await ctx.store.getMeta('schema_version');
      return `${ctx.store.kind} answers`;
    }),
    timed(async () => {
      // A follower's driver stays closed (the leader holds the VMs): it is ready to forward.
      if (ctx.replica && ctx.replica.role() !== 'leader') return `${ctx.driver.name}: held by the leader (this replica is ${ctx.replica.role()})`;
      const vms = await ctx.driver.listVms();
      return `${ctx.driver.name}: ${vms.length} VM(s)`;
    }),
    timed(async () => {
      const c = await ctx.capacity();
      if (!c.canStart) throw new Error(`no VM can be started: ${c.usedVms} of ${c.maxVms} in use, no free network index`);
      return `${c.usedVms} of ${c.maxVms} VMs in use`;
    }),
  ]);
  const checks = { store, driver, capacity };
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}

/** The handlers of the healthz and readyz routes (public: no token). */
export function healthHandlers(ctx: ServerContext): Pick<Handlers, 'healthz' | 'readyz'> {
  return {
    healthz: async ({ reply }) => reply.header('cache-control', 'no-store').send({ status: 'ok', version: ctx.version }),
    readyz: async ({ reply }) => {
      const r = await readiness(ctx);
      return reply.code(r.ok ? 200 : 503).header('cache-control', 'no-store').send({ status: r.ok ? 'ready' : 'not ready', checks: r.checks });
    },
  };
}
