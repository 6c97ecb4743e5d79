/**
 * What every library scenario carries beside it (`<name>.proof.ts`): a probe per listed
 * symptom, observed in the VMs while the incident runs, and the commands an expert would
 * type to fix it. test/scenarios/ runs both against the real platform.
 */
export interface Probe {
  /** The symptom text exactly as in the scenario's `signals.symptoms`. */
  symptom: string;
  /** Where to run it, e.g. `app-0`; with several VMs the outputs are joined by newlines in this order. */
  vm: string | string[];
  /** A shell command run as root in that VM; its stdout (trimmed) must match `expect`. */
  run: string;
  expect: RegExp | ((stdout: string) => boolean);
  /** How long to keep trying (faults with a later `at` take longer). Default 60 s. */
  timeoutMs?: number;
}

export interface SolveStep {
  vm: string;
  /** Shell run as root; must exit 0. Written as an SRE would type it, not from the fault's internals. */
  run: string;
}

export interface ScenarioProof {
  probes: Probe[];
  /**
   * A fake fix: silences the symptom without fixing the cause (nginx answering /healthz
   * itself while the app crash-loops). Run before `solve`; the run must not resolve for the
   * longest `for:` window plus 10 s after it.
   */
  fakeFix?: SolveStep[];
  /** The minimal right fix: the smallest change an expert would make. */
  solve: SolveStep[];
  /**
   * Seconds the objectives may take to settle after the last solve step, beyond the longest
   * `for:` window (the run must resolve within that window + settleS). Default 5 (20 without `for:`).
   */
  settleS?: number;
}
