/**
 * Prometheus metrics on a private registry (no global state, so tests can build many apps).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RunStateSchema } from '@pudu/schema';

export interface Metrics {
  registry: Registry;
  runsByState: Gauge<'state'>;
  faultInjections: Counter<'type' | 'result'>;
  timeToFixSeconds: Histogram<'scenario'>;
  timeToDetectSeconds: Histogram<'scenario'>;
  fleetBootSeconds: Histogram<'driver'>;
  apiLatencySeconds: Histogram<'method' | 'route' | 'status'>;
  hintsTaken: Counter<'scenario'>;
}

/** Creates the registry with every metric the server exports. */
export function createMetrics(countRuns?: () => Promise<Record<string, number>>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pudu_process_' });
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
  };
}
