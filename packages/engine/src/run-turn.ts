/** One `step` call's working set, shared by the files that hold the run's rules. */
import type { Action, RunPlan, RunProgress } from './run-state.ts';
import { faultKey } from './run-state.ts';
import type { CompiledFault } from './compiled-scenario.ts';
import type { RunEventDataInput } from '@pudu/schema';

/** One call's working set: the progress being changed and the actions asked for so far. */
export interface Turn {
  plan: RunPlan;
  s: RunProgress;
  out: Action[];
  now: number;
  /** The teardown may destroy the fleet once no revert is outstanding (decided after the batch). */
  destroy: boolean;
  /** This batch's agent reports could not vouch for every fault (see run-integrity.ts): no resolution in it. */
  untrusted?: boolean;
}

/** `data` is typed by the event's kind (schema/run-events.ts). */
export const publish = <K extends string>(t: Turn, event: K, data: RunEventDataInput<K>): void => void t.out.push({ kind: 'publish', event, data });

export const faultOf = (t: Turn, key: string): CompiledFault | undefined => t.plan.compiled.faults.find((f) => faultKey(f) === key);
