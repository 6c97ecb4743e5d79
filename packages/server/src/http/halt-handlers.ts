/** Handlers of halt-all: status, engage (admin, instructor), release (admin). */
import type { ServerContext } from '../context.ts';
import type { Handlers } from './app.ts';

export function createHaltHandlers(ctx: ServerContext): Pick<Handlers, 'getHalt' | 'haltAll' | 'releaseHalt'> {
  return {
    getHalt: async () => ctx.halt.status(),
    haltAll: async ({ body, principal, audit }) => {
      const r = await ctx.halt.engage(body.reason, `${principal!.name} (${principal!.id})`);
      audit.target = 'halt-all';
      audit.detail = `${r.reason ?? body.reason}: ${r.runs.length} run(s) halted, ${r.faultsReverted} fault(s) reverted in ${r.elapsedMs} ms, ${r.agentErrors.length} agent error(s)`;
      return r;
    },
    releaseHalt: async ({ audit }) => {
      audit.target = 'halt-all';
      const s = await ctx.halt.release();
      audit.detail = `released (was: ${s.reason ?? ''})`;
      return s;
    },
  };
}
