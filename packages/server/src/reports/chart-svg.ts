/**
 * Small SVG line charts of one VM's metric over the run, with the run's markers (faults,
 * alerts, hints, the fix) as vertical lines: self-contained markup for the printable report
 * and the result page (no script, no external file).
 */
import type { MetricSample, TimelineMarker } from '@pudu/schema';

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface ChartSeries { key: keyof Omit<MetricSample, 'tMs'>; label: string; unit: string; max: number | null }
export const CHART_SERIES: ChartSeries[] = [
  { key: 'cpuPct', label: 'CPU', unit: '%', max: 100 },
  { key: 'memUsedPct', label: 'Memory', unit: '%', max: 100 },
  { key: 'diskUsedPct', label: 'Disk', unit: '%', max: 100 },
  { key: 'loadAvg1', label: 'Load (1 min)', unit: '', max: null },
];

export const MARKER_STYLE: Record<TimelineMarker['kind'], { color: string; letter: string; name: string }> = {
  fault: { color: '#d1242f', letter: 'F', name: 'fault injected' },
  'fault-end': { color: '#8c959f', letter: 'f', name: 'fault reverted' },
  alert: { color: '#bf8700', letter: 'A', name: 'alert fired' },
  hint: { color: '#8250df', letter: 'H', name: 'hint taken' },
  'objective-passed': { color: '#1a7f37', letter: 'O', name: 'objective passed' },
  'objective-failing': { color: '#cf222e', letter: 'o', name: 'objective failing' },
  keyboard: { color: '#0969da', letter: 'K', name: 'keyboard taken/given back' },
  resolved: { color: '#1a7f37', letter: '✓', name: 'resolved (the fix)' },
  ended: { color: '#57606a', letter: '■', name: 'run ended' },
};

const W = 320;
const H = 110;
const PAD = { l: 34, r: 8, t: 16, b: 18 };

const clock = (ms: number): string => `${Math.floor(ms / 60000)}:${String(Math.floor((ms % 60000) / 1000)).padStart(2, '0')}`;

/** One chart; `spanMs` is the common x range so every chart of a report lines up. */
export function chartSvg(samples: MetricSample[], s: ChartSeries, markers: TimelineMarker[], spanMs: number, vm: string): string {
  const values = samples.map((x) => x[s.key]);
  const max = s.max ?? Math.max(1, ...values) * 1.2;
  const x = (t: number): number => PAD.l + (Math.max(0, t) / Math.max(1, spanMs)) * (W - PAD.l - PAD.r);
  const y = (v: number): number => H - PAD.b - (Math.min(v, max) / max) * (H - PAD.t - PAD.b);
  const line = samples.map((p) => `${x(p.tMs).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join(' ');
  const last = values.at(-1);
  const shown = last === undefined ? 'no data' : s.unit === '%' ? `${Math.round(last)}%` : last.toFixed(2);
  const marks = markers.filter((m) => m.vm === null || m.vm === vm).map((m) => {
    const st = MARKER_STYLE[m.kind];
    const mx = x(m.tMs).toFixed(1);
    return `<g class="marker" data-kind="${m.kind}"><title>${escapeHtml(`${clock(m.tMs)} ${m.label}`)}</title><line x1="${mx}" x2="${mx}" y1="${PAD.t}" y2="${H - PAD.b}" stroke="${st.color}" stroke-dasharray="3 2"/><text x="${mx}" y="${PAD.t - 4}" fill="${st.color}" font-size="9" text-anchor="middle">${st.letter}</text></g>`;
  }).join('');
  return `<svg class="chart" data-metric="${s.key}" data-vm="${escapeHtml(vm)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`${vm} ${s.label}: ${shown}`)}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">`
    + `<text x="${PAD.l}" y="10" font-size="10" fill="#24292f">${escapeHtml(`${s.label} — ${shown}`)}</text>`
    + `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${H - PAD.b}" y2="${H - PAD.b}" stroke="#d0d7de"/>`
    + `<text x="${PAD.l - 4}" y="${PAD.t + 4}" font-size="8" text-anchor="end" fill="#57606a">${s.unit === '%' ? '100%' : max.toFixed(1)}</text>`
    + `<text x="${PAD.l - 4}" y="${H - PAD.b}" font-size="8" text-anchor="end" fill="#57606a">0</text>`
    + `<text x="${PAD.l}" y="${H - 4}" font-size="8" fill="#57606a">0:00</text><text x="${W - PAD.r}" y="${H - 4}" font-size="8" text-anchor="end" fill="#57606a">${clock(spanMs)}</text>`
    + marks
    + (samples.length ? `<polyline points="${line}" fill="none" stroke="#0969da" stroke-width="1.5"/>` : '')
    + '</svg>';
}

/** Every VM's four charts, and a legend of the markers that appear. */
export function chartsHtml(history: { vms: { vm: string; samples: MetricSample[] }[]; markers: TimelineMarker[] }, spanMs: number): string {
  if (!history.vms.length) return '<p class="muted">No metric samples were recorded for this run.</p>';
  const kinds = [...new Set(history.markers.map((m) => m.kind))];
  const legend = kinds.map((k) => `<span class="legend-item"><b style="color:${MARKER_STYLE[k].color}">${MARKER_STYLE[k].letter}</b> ${MARKER_STYLE[k].name}</span>`).join(' ');
  return history.vms.map((v) => `<div class="vm-charts" data-vm="${escapeHtml(v.vm)}"><h3>${escapeHtml(v.vm)}</h3><div class="chart-row">${CHART_SERIES.map((s) => chartSvg(v.samples, s, history.markers, spanMs, v.vm)).join('')}</div></div>`).join('')
    + (legend ? `<p class="legend">${legend}</p>` : '');
}
