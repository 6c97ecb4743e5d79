/**
 * prom-client's default process and Node.js metrics under their standard names, without
 * the three gauges it names `*_total` (`nodejs_active_{handles,requests,resources}_total`):
 * `_total` is for counters, and `promtool check metrics` rejects them. Their per-type
 * gauges (`nodejs_active_handles{type}` …) stay; `sum()` gives the total. Used by the agent
 * and the server alike.
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';

const TOTAL_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Registers the default metrics on `registry`. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of TOTAL_GAUGES) registry.removeSingleMetric(name);
}
