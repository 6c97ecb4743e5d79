/**
 * Prometheus metrics on a private registry (no global state, so tests can build many apps).
 * Names follow Prometheus conventions and pass `promtool check metrics`: base units
 * (seconds, bytes, ratios 0–1), `_total` only on counters, process and Node.js metrics
 * under their standard names. deploy/grafana and deploy/prometheus use only these names
 * (a test checks it).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RunStateSchema } from '@pudu/schema';
import { registerProcessMetrics } from '@pudu/agent';

export interface Metrics {
  registry: Registry;
  runsByState: Gauge<'state'>;
  faultInjections: Counter<'type' | 'result'>;
  timeToFixSeconds: Histogram<'scenario'>;
  timeToDetectSeconds: Histogram<'scenario'>;
  fleetBootSeconds: Histogram<'driver'>;
  apiLatencySeconds: Histogram<'method' | 'route' | 'status'>;
  hintsTaken: Counter<'scenario'>;
  runEvents: Counter<'kind'>;
}

/** Where scrape-time figures come from (each optional, so tests can build bare registries). */
export interface MetricSources {
  countRuns?: () => Promise<Record<string, number>>;
  /** VMs this server runs and may run. */
  vms?: () => Promise<{ used: number; max: number }>;
  /** Whether halt-all is engaged (issue 12); absent while the server has no halt. */
  haltEngaged?: () => Promise<boolean>;
  /** Faults still held after their window ended (revert failed or not answered). */
  faultsOverdue?: () => Promise<number>;
}

/** Creates the registry with every metric the server exports. */
export function createMetrics(src: MetricSources = {}): Metrics {
  const { countRuns } = src;
  const registry = new Registry();
  registerProcessMetrics(registry);
  new Gauge({
    name: 'pudu_vms', help: 'VMs this server runs', registers: [registry],
    async collect() { if (src.vms) this.set((await src.vms()).used); },
  });
  new Gauge({
    name: 'pudu_vms_max', help: 'VMs this server may run (the network base, or the host budget when lower)', registers: [registry],
    async collect() { if (src.vms) this.set((await src.vms()).max); },
  });
  new Gauge({
    name: 'pudu_faults_overdue', help: 'Faults still held after their window ended (revert failing or the agent not answering)', registers: [registry],
    async collect() { this.set(src.faultsOverdue ? await src.faultsOverdue() : 0); },
  });
  new Gauge({
    name: 'pudu_halt_engaged', help: '1 while halt-all is engaged (new runs and faults refused), else 0', registers: [registry],
    async collect() { this.set(src.haltEngaged && (await src.haltEngaged()) ? 1 : 0); },
  });
  return {
    registry,
    runsByState: new Gauge({
      name: 'pudu_runs', help: 'Scenario runs by state', labelNames: ['state'], registers: [registry],
      // Counted from the store at scrape time, so the figure is right across restarts.
      async collect() {
        if (!countRuns) return;
        const counts = await countRuns();
        for (const state of RunStateSchema.options) this.set({ state }, counts[state] ?? 0);
      },
    }),
    faultInjections: new Counter({ name: 'pudu_fault_injections_total', help: 'Fault injections (apply and revert) by type and result', labelNames: ['type', 'result'], registers: [registry] }),
    timeToFixSeconds: new Histogram({
      name: 'pudu_time_to_fix_seconds', help: 'Seconds from a run\'s start to its resolution', labelNames: ['scenario'],
      buckets: [10, 30, 60, 120, 300, 600, 900, 1800, 3600], registers: [registry],
    }),
    timeToDetectSeconds: new Histogram({
      name: 'pudu_time_to_detect_seconds', help: 'Seconds from a run\'s start to the trainee\'s first terminal', labelNames: ['scenario'],
      buckets: [5, 10, 30, 60, 120, 300, 600, 1800], registers: [registry],
    }),
    fleetBootSeconds: new Histogram({
      name: 'pudu_fleet_boot_seconds', help: 'Seconds from fleet create to every VM ready', labelNames: ['driver'],
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 60, 120], registers: [registry],
    }),
    apiLatencySeconds: new Histogram({
      name: 'pudu_api_request_duration_seconds', help: 'API request latency', labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30], registers: [registry],
    }),
    hintsTaken: new Counter({ name: 'pudu_hints_taken_total', help: 'Hints revealed to trainees', labelNames: ['scenario'], registers: [registry] }),
    runEvents: new Counter({ name: 'pudu_run_events_total', help: 'Run events published, by kind (fault.applied, objective.passed, integrity.*, …)', labelNames: ['kind'], registers: [registry] }),
  };
}
