// Per-VM sparklines of cpu / memory / disk / load from the agents' metrics, hand-drawn in
// SVG (four polylines do not need a chart library). Each chart states its current value
// in text, so the numbers are readable without seeing the line.
import { h, replaceChildren, svg } from '../dom.ts';
import type { VmMetrics } from '../view-model.ts';

const MAX_SAMPLES = 120;
const WIDTH = 160;
const HEIGHT = 24;

interface Series {
  key: keyof VmMetrics;
  label: string;
  unit: string;
  /** Fixed maximum for percentages; load scales to what it has seen. */
  max: number | null;
  warnAt: number;
}

const SERIES: Series[] = [
  { key: 'cpuPct', label: 'CPU', unit: '%', max: 100, warnAt: 90 },
  { key: 'memUsedPct', label: 'Memory', unit: '%', max: 100, warnAt: 85 },
  { key: 'diskUsedPct', label: 'Disk', unit: '%', max: 100, warnAt: 90 },
  { key: 'loadAvg1', label: 'Load 1m', unit: '', max: null, warnAt: 2 },
];

export interface VmCharts {
  el: HTMLElement;
  /** Adds one sample for a VM (samples older than the window fall off). */
  push(vm: string, sample: VmMetrics): void;
  /** Says why there are no charts (e.g. the server does not report metrics). */
  unavailable(reason: string): void;
  dispose(): void;
}

function points(values: number[], max: number): string {
  const step = WIDTH / (MAX_SAMPLES - 1);
  const offset = WIDTH - (values.length - 1) * step;
  return values.map((v, i) => `${(offset + i * step).toFixed(1)},${(HEIGHT - 2 - (Math.min(v, max) / max) * (HEIGHT - 4)).toFixed(1)}`).join(' ');
}

function formatValue(value: number, unit: string): string {
  return unit === '%' ? `${Math.round(value)}%` : value.toFixed(2);
}

function renderChart(series: Series, values: number[]): HTMLElement {
  const last = values[values.length - 1] ?? 0;
  const max = series.max ?? Math.max(1, ...values) * 1.2;
  const warn = last >= series.warnAt;
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, class: 'spark', 'aria-hidden': 'true', preserveAspectRatio: 'none' },
    svg('line', { x1: 0, x2: WIDTH, y1: HEIGHT - 2, y2: HEIGHT - 2, class: 'spark-axis' }),
    svg('polyline', { points: points(values, max), class: warn ? 'spark-line warn' : 'spark-line' }),
    svg('circle', { cx: WIDTH - 1.5, cy: (HEIGHT - 2 - (Math.min(last, max) / max) * (HEIGHT - 4)).toFixed(1), r: 1.8, class: warn ? 'spark-dot warn' : 'spark-dot' }),
  );
  return h('div', { class: `chart${warn ? ' warn' : ''}`, 'data-metric': series.key, role: 'img', 'aria-label': `${series.label} ${formatValue(last, series.unit)}` },
    h('div', { class: 'chart-head' }, h('span', {}, series.label), h('strong', { class: 'chart-value' }, formatValue(last, series.unit))),
    chart);
}

export function createVmCharts(): VmCharts {
  const body = h('div', { class: 'charts-body' }, h('p', { class: 'muted empty' }, 'Waiting for the agents’ first metrics…'));
  const el = h('section', { class: 'panel charts', 'aria-labelledby': 'charts-title' }, h('h2', { id: 'charts-title' }, 'VM metrics'), body);
  const history = new Map<string, VmMetrics[]>();
  let frame = 0;

  const render = (): void => {
    frame = 0;
    replaceChildren(body, [...history.entries()].map(([vm, samples]) => h('div', { class: 'vm-charts', 'data-vm': vm },
      h('h3', {}, vm),
      h('div', { class: 'chart-row' }, SERIES.map((s) => renderChart(s, samples.map((m) => m[s.key])))),
    )));
  };

  return {
    el,
    push(vm, sample) {
      const samples = history.get(vm) ?? [];
      samples.push(sample);
      if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
      history.set(vm, samples);
      if (!frame) frame = requestAnimationFrame(render);
    },
    unavailable(reason) {
      if (history.size === 0) replaceChildren(body, h('p', { class: 'muted empty' }, reason));
    },
    dispose() {
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
