/** What the engine runs: a scenario with VMs expanded, targets resolved and times in ms. */
import type { Charter, ConditionOperator, FaultType, MetricName, VmSpec } from '@pudu/schema';

/** One VM of the plan, exactly what a driver is asked to create. */
export type VmPlan = VmSpec;

export interface CompiledFault {
  /** The scenario's fault id; with `vm` it names one injection. */
  id: string;
  type: FaultType;
  vm: string;
  params: Record<string, string>;
  atMs: number;
  /** null: lasts until the run ends or the trainee fixes it. */
  durationMs: number | null;
}

export interface CompiledAlert {
  name: string;
  severity: 'info' | 'warning' | 'critical';
  firedAtMs: number;
  message: string;
}

export type TimelineKind = 'fault-start' | 'fault-end' | 'alert';

export interface TimelineEvent {
  atMs: number;
  kind: TimelineKind;
  /** Fault id or alert name. */
  ref: string;
  vm?: string;
}

export type CompiledCheck =
  | { type: 'http'; path: string; expectedStatus: number; port: number }
  | { type: 'agent-metric'; metric: MetricName; op: ConditionOperator; value: number; condition: string }
  | { type: 'process-running'; service: string }
  | { type: 'fault-cleared'; fault: string };

export interface CompiledObjective {
  id: string;
  description: string;
  check: CompiledCheck;
  /** Every one of these VMs must pass. */
  vms: string[];
}

export interface CompiledScoring {
  base: number;
  timePenaltyPerSecond: number;
  hintPenalty: number;
  perfectWindowMs: number;
}

export interface CompiledScenario {
  id: string;
  title: string;
  difficulty: 'easy' | 'medium' | 'hard' | 'expert';
  architecture: 'monolith' | 'microservices' | 'both';
  tags: string[];
  description: string;
  /** The experiment charter, when the scenario has one. */
  charter: Charter | null;
  /** The seed every random choice came from (the scenario's, or one chosen and recorded). */
  seed: number;
  timeLimitMs: number;
  vms: VmPlan[];
  faults: CompiledFault[];
  alerts: CompiledAlert[];
  symptoms: string[];
  timeline: TimelineEvent[];
  objectives: CompiledObjective[];
  hints: { text: string }[];
  scoring: CompiledScoring;
}
