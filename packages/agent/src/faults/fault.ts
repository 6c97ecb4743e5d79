import type { AgentFaultParamsByType, FaultType } from '@pudu/schema';

/** What a fault needs from the agent around it. */
export interface FaultContext {
  /** The agent's own TCP port (network faults keep its traffic out of their way); 0 when the channel is not TCP. */
  readonly controlPort: number;
  /** Directory for helper binaries (e.g. the NFQUEUE handler). */
  readonly nativeDir: string;
  readonly log: (msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Everything a revert needs, decided *before* the fault is applied and written to the
 * journal (fsync) first, so a restarted agent can undo the fault from the journal alone.
 * Plain JSON only.
 */
export type Undo = Record<string, unknown>;

/**
 * One fault type. Every method must be safe to call again after a crash:
 * `revert` is idempotent (reverting what is already gone is fine) and works from `undo`
 * alone (no in-memory state survives `kill -9`); `isActive` reads the real state of the
 * guest so a trainee's fix is noticed.
 */
export interface FaultDriver<T extends FaultType = FaultType> {
  readonly type: T;
  /** Faults with the same key cannot run at the same time (e.g. one network fault per interface). */
  conflictKey(params: AgentFaultParamsByType[T]): string;
  /** Checks the guest and decides what will be changed, changing nothing. */
  plan(id: string, params: AgentFaultParamsByType[T], ctx: FaultContext): Promise<Undo>;
  /** Applies the fault; may add facts to `undo` (e.g. a helper's pid), which are journaled again. */
  apply(id: string, params: AgentFaultParamsByType[T], undo: Undo, ctx: FaultContext): Promise<{ mechanism: string }>;
  /**
   * After plan: proves apply and revert can both run here (their programs, the files they
   * write), changing nothing; returns what it verified. Throws when either could not.
   */
  verify(params: AgentFaultParamsByType[T], undo: Undo, ctx: FaultContext): Promise<string[]>;
  revert(undo: Undo, ctx: FaultContext): Promise<void>;
  /** After an agent restart adopted the fault: start again what lived only in the agent (a timer loop). */
  resume?(undo: Undo, ctx: FaultContext): Promise<void>;
  isActive(undo: Undo, ctx: FaultContext): Promise<boolean>;
}
