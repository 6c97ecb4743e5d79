/**
 * The scenario's users: a steady stream of requests (a weighted mix of routes, spread over
 * the target VMs) from the host across each VM's own link (route checked), so the app's
 * access log, error rate and latency carry real signal. What those users saw (rate, errors,
 * latency percentiles per route over the last minute) is the run's traffic report.
 */
import type { CompiledTraffic } from '@pudu/engine';
import type { TrafficReport } from '@pudu/schema';
import { assertRouteThrough } from '../net/route-guard.ts';

/** A user gives up after this; the request counts as failed with status 0. */
export const TRAFFIC_TIMEOUT_MS = 5000;
/** Requests remembered for the report. */
const KEEP_MS = 5 * 60_000;
/** Requests in flight at once: a dead backend must not pile up sockets. */
const MAX_IN_FLIGHT = 64;

interface Sample {
  atMs: number;
  route: string;
  status: number;
  ms: number;
}

export interface TrafficTarget {
  guestIp: string;
  hostLink: string;
}

type RouteReport = TrafficReport['routes'][number];

const pct = (sorted: number[], p: number): number | null =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))]!;

function summarise(route: string, samples: Sample[]): RouteReport {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const errors = samples.filter((s) => s.status === 0 || s.status >= 500).length;
  return {
    route, requests: samples.length, errors,
    errorRatio: samples.length === 0 ? 0 : Math.round((errors / samples.length) * 1000) / 1000,
    p50Ms: pct(ms, 0.5), p95Ms: pct(ms, 0.95), p99Ms: pct(ms, 0.99),
  };
}

/** One run's users. `targetOf` answers null while a VM is not reachable (no fleet yet). */
export class TrafficGenerator {
  private timer: NodeJS.Timeout | null = null;
  private readonly samples: Sample[] = [];
  private inFlight = 0;
  private n = 0;

  constructor(
    private readonly plan: CompiledTraffic,
    private readonly targetOf: (vm: string) => TrafficTarget | null,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.timer || this.plan.vms.length === 0) return;
    this.timer = setInterval(() => this.send(), Math.max(20, Math.round(1000 / this.plan.rps)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Round-robin over VMs; routes by weight with a fixed pattern, so every run sends the same mix. */
  private pick(): { vm: string; method: 'GET' | 'POST'; path: string } {
    const i = this.n++;
    const vm = this.plan.vms[i % this.plan.vms.length]!;
    const total = this.plan.routes.reduce((s, r) => s + r.weight, 0);
    let slot = ((i * 0.6180339887) % 1) * total;
    const route = this.plan.routes.find((r) => (slot -= r.weight) < 0) ?? this.plan.routes[0]!;
    return { vm, method: route.method, path: route.path };
  }

  private send(): void {
    if (this.inFlight >= MAX_IN_FLIGHT) return;
    const { vm, method, path } = this.pick();
    const target = this.targetOf(vm);
    if (!target) return;
    const route = `${method} ${path}`;
    const started = this.now();
    this.inFlight += 1;
    void (async (): Promise<number> => {
      await assertRouteThrough(target.guestIp, target.hostLink);
      const res = await fetch(`http://${target.guestIp}:${this.plan.port}${path}`, {
        method,
        headers: method === 'POST' ? { 'content-type': 'application/json', 'user-agent': 'shop-frontend/2.3' } : { 'user-agent': 'shop-frontend/2.3' },
        body: method === 'POST' ? JSON.stringify({ name: `order-${started}` }) : undefined,
        signal: AbortSignal.timeout(TRAFFIC_TIMEOUT_MS),
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status;
    })().catch(() => 0).then((status) => {
      this.inFlight -= 1;
      this.record({ atMs: started, route, status, ms: this.now() - started });
    });
  }

  private record(s: Sample): void {
    this.samples.push(s);
    const cutoff = this.now() - KEEP_MS;
    while (this.samples.length > 0 && this.samples[0]!.atMs < cutoff) this.samples.shift();
  }

  /** What users saw over the last `windowMs`. */
  report(windowMs = 60_000): TrafficReport {
    const from = this.now() - windowMs;
    const recent = this.samples.filter((s) => s.atMs >= from);
    const all = summarise('all', recent);
    const routes = [...new Set(this.plan.routes.map((r) => `${r.method} ${r.path}`))]
      .map((route) => summarise(route, recent.filter((s) => s.route === route)));
    return {
      windowS: windowMs / 1000, rps: Math.round((recent.length / (windowMs / 1000)) * 100) / 100,
      requests: all.requests, errors: all.errors, errorRatio: all.errorRatio, p50Ms: all.p50Ms, p95Ms: all.p95Ms, p99Ms: all.p99Ms, routes,
    };
  }
}
