/** The report as Markdown and as one printable HTML page (inline CSS and SVG, no script). */
import type { Report } from '@pudu/schema';
import { chartsHtml, escapeHtml as e } from './chart-svg.ts';

export const clock = (ms: number | null): string => {
  if (ms === null) return '—';
  const sign = ms < 0 ? '-' : '';
  const s = Math.floor(Math.abs(ms) / 1000);
  return `${sign}${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

const WHO: Record<Report['timeline'][number]['who'], string> = { system: 'system', responder: 'responder', instructor: 'instructor' };

function spanOf(r: Report): number {
  const last = Math.max(r.run.elapsedMs, ...r.history.vms.flatMap((v) => v.samples.map((s) => s.tMs)), ...r.history.markers.map((m) => m.tMs));
  return Math.max(1000, last);
}

export function renderMarkdown(r: Report): string {
  const L: string[] = [];
  const md = (s: string): string => s.replace(/([|\\`*_[\]<>])/g, '\\$1').replace(/\n/g, ' ');
  L.push(`# Post-mortem: ${md(r.run.title)}`, '', `Run \`${r.run.id}\` · scenario \`${r.run.scenarioId}\` (${r.run.difficulty}) · seed ${r.run.seed} · ${r.run.state}`, '', `> ${md(r.verdict)}`, '');
  L.push('This review is blameless: it describes what the system did and what was tried, to learn from it, not to judge anyone.', '');
  L.push('## Summary', '', '| | |', '|---|---|',
    `| Started | ${r.run.startedAt ?? '—'} |`, `| Ended | ${r.run.endedAt ?? '—'} |`,
    `| Time to detect | ${clock(r.timings.detectMs)} |`, `| Time to mitigate | ${clock(r.timings.mitigateMs)} |`, `| Time to resolve | ${clock(r.timings.resolveMs)} |`,
    `| Score | ${r.score ? `${r.score.score} (base ${r.score.base} − time ${r.score.timePenalty} − hints ${r.score.hintPenalty})` : 'no score (not resolved)'} |`, '');
  if (r.run.error) L.push(`Error: ${md(r.run.error)}`, '');
  L.push('## The scenario', '', md(r.run.description.trim()), '');
  if (r.run.symptoms.length) L.push(...r.run.symptoms.map((s) => `- ${md(s)}`), '');
  L.push('## What was really broken', '');
  if (r.faults.length) {
    L.push('| Fault | Type | VM | Injected | Reverted | State |', '|---|---|---|---|---|---|');
    for (const f of r.faults) L.push(`| ${md(f.id)} | ${f.type} | ${f.vm} | ${clock(f.appliedMs)} | ${clock(f.revertedMs)} | ${f.state} |`);
  } else L.push('Revealed when the run is over.');
  L.push('', '## Alerts', '');
  L.push(...(r.alerts.length ? r.alerts.map((a) => `- ${clock(a.firedMs)} **${md(a.name)}** (${a.severity}): ${md(a.message)}`) : ['No alert fired.']), '');
  L.push('## Objectives', '', ...r.objectives.map((o) => `- ${o.passing ? '✓' : '✗'} ${md(o.description)} — ${md(o.detail)}`), '');
  L.push('## Timeline', '', '| Run clock | Who | What |', '|---|---|---|', ...r.timeline.map((t) => `| ${clock(t.tMs)} | ${WHO[t.who]} | ${md(t.text)} |`), '');
  L.push('## Commands', '');
  if (r.commands.length) {
    L.push('| Run clock | Host | Where | Command |', '|---|---|---|---|');
    for (const c of r.commands) L.push(`| ${clock(c.runMs)} | ${c.host ?? c.vm} | ${c.context} | \`${c.command.replace(/`/g, "'").replace(/\|/g, '\\|')}\` |`);
  } else L.push('No commands were recorded.');
  L.push('', 'What this list cannot know:', ...r.caveats.map((c) => `- ${md(c)}`), '');
  if (r.integrity.length) L.push('## Integrity events', '', ...r.integrity.map((i) => `- ${clock(i.tMs)} ${i.kind}: ${md(i.text)}`), '');
  L.push('## Metrics', '');
  for (const v of r.history.vms) {
    const peak = (k: 'cpuPct' | 'memUsedPct' | 'diskUsedPct'): string => `${Math.round(Math.max(0, ...v.samples.map((s) => s[k])))}%`;
    L.push(`- ${v.vm}: ${v.samples.length} samples; peak CPU ${peak('cpuPct')}, memory ${peak('memUsedPct')}, disk ${peak('diskUsedPct')}`);
  }
  if (!r.history.vms.length) L.push('No metric samples were recorded.');
  L.push('', '## Notes', '', '### What the responder saw and tried', '', r.notes.trainee.trim() || '_No notes yet._', '', '### Instructor feedback', '', r.notes.instructor.feedback.trim() || '_No feedback yet._', '');
  if (r.notes.instructor.actionItems.length) L.push('Action items:', ...r.notes.instructor.actionItems.map((a) => `- [ ] ${md(a)}`), '');
  if (r.notes.instructor.runbookLinks.length) L.push('Runbooks:', ...r.notes.instructor.runbookLinks.map((u) => `- <${u}>`), '');
  if (r.recordings.length) L.push('## Recordings', '', ...r.recordings.map((x) => `- \`${x.id}\` ${x.vm}, opened by ${md(x.openedBy)} (${x.role}): \`puduc scenario recording ${r.run.id} ${x.id} -o ${x.id}.cast\``), '');
  L.push(`_Generated ${r.generatedAt} by Pudu._`, '');
  return L.join('\n');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;margin:24px auto;max-width:980px;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:14px;margin:12px 0 4px}
.muted{color:#57606a}.verdict{background:#f6f8fa;border-left:4px solid #0969da;padding:8px 12px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{background:#f6f8fa}code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
.who-responder{color:#0969da}.who-instructor{color:#8250df}.who-system{color:#57606a}
.chart-row{display:flex;flex-wrap:wrap;gap:8px}.legend-item{margin-right:12px;white-space:nowrap}
.pass{color:#1a7f37}.fail{color:#cf222e}pre.note{white-space:pre-wrap;background:#f6f8fa;padding:8px;border-radius:4px;font-family:inherit}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,svg,.vm-charts{break-inside:avoid}a{color:inherit}}
`;

export function renderHtml(r: Report): string {
  const rows = (cells: string[][]): string => cells.map((c) => `<tr>${c.map((x) => `<td>${x}</td>`).join('')}</tr>`).join('');
  const head = (cells: string[]): string => `<tr>${cells.map((c) => `<th>${c}</th>`).join('')}</tr>`;
  const notes = r.notes;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${e(`Post-mortem: ${r.run.title} (${r.run.id})`)}</title><style>${CSS}</style></head><body>
<h1>Post-mortem: ${e(r.run.title)}</h1>
<p class="muted">Run <code>${e(r.run.id)}</code> · scenario <code>${e(r.run.scenarioId)}</code> (${e(r.run.difficulty)}) · seed ${r.run.seed} · <span data-state="${e(r.run.state)}">${e(r.run.state)}</span></p>
<p class="verdict" data-testid="verdict">${e(r.verdict)}</p>
<p class="muted">This review is blameless: it describes what the system did and what was tried, to learn from it, not to judge anyone.</p>
<h2>Summary</h2><table>${rows([
    ['Started', e(r.run.startedAt ?? '—')], ['Ended', e(r.run.endedAt ?? '—')],
    ['Time to detect', clock(r.timings.detectMs)], ['Time to mitigate', clock(r.timings.mitigateMs)], ['Time to resolve', clock(r.timings.resolveMs)],
    ['Score', r.score ? `<b data-testid="report-score">${r.score.score}</b> (base ${r.score.base} − time ${r.score.timePenalty} − hints ${r.score.hintPenalty})` : 'no score (not resolved)'],
  ])}</table>${r.run.error ? `<p>Error: ${e(r.run.error)}</p>` : ''}
<h2>The scenario</h2><p>${e(r.run.description.trim())}</p>${r.run.symptoms.length ? `<ul>${r.run.symptoms.map((s) => `<li>${e(s)}</li>`).join('')}</ul>` : ''}
<h2>What was really broken</h2>${r.faults.length ? `<table>${head(['Fault', 'Type', 'VM', 'Injected', 'Reverted', 'State'])}${rows(r.faults.map((f) => [e(f.id), e(f.type), e(f.vm), clock(f.appliedMs), clock(f.revertedMs), e(f.state)]))}</table>` : '<p class="muted">Revealed when the run is over.</p>'}
<h2>Alerts</h2>${r.alerts.length ? `<table>${head(['Fired', 'Alert', 'Severity', 'Message'])}${rows(r.alerts.map((a) => [clock(a.firedMs), e(a.name), e(a.severity), e(a.message)]))}</table>` : '<p class="muted">No alert fired.</p>'}
<h2>Metrics</h2>${chartsHtml(r.history, spanOf(r))}
<h2>Objectives</h2><ul>${r.objectives.map((o) => `<li class="${o.passing ? 'pass' : 'fail'}">${o.passing ? '✓' : '✗'} ${e(o.description)} <span class="muted">— ${e(o.detail)}</span></li>`).join('')}</ul>
<h2>Timeline</h2><table class="timeline">${head(['Run clock', 'Who', 'What'])}${r.timeline.map((t) => `<tr data-kind="${e(t.kind)}"><td>${clock(t.tMs)}</td><td class="who-${t.who}">${WHO[t.who]}</td><td>${t.kind === 'command' ? `<code>${e(t.text)}</code>` : e(t.text)}</td></tr>`).join('')}</table>
<h2>Commands</h2>${r.commands.length ? `<table class="commands">${head(['Run clock', 'Host', 'Where', 'Command', 'First output'])}${rows(r.commands.map((c) => [clock(c.runMs), e(c.host ?? c.vm), e(c.context), `<code>${e(c.command)}</code>`, `<code>${e(c.output.slice(0, 3).join('\n')).replace(/\n/g, '<br>')}</code>`]))}</table>` : '<p class="muted">No commands were recorded.</p>'}
<p class="muted">What this list cannot know:</p><ul class="muted">${r.caveats.map((c) => `<li>${e(c)}</li>`).join('')}</ul>
${r.integrity.length ? `<h2>Integrity events</h2><ul>${r.integrity.map((i) => `<li>${clock(i.tMs)} ${e(i.kind)}: <code>${e(i.text)}</code></li>`).join('')}</ul>` : ''}
<h2>Notes</h2><h3>What the responder saw and tried</h3>${notes.trainee.trim() ? `<pre class="note">${e(notes.trainee)}</pre>` : '<p class="muted">No notes yet.</p>'}
<h3>Instructor feedback</h3>${notes.instructor.feedback.trim() ? `<pre class="note">${e(notes.instructor.feedback)}</pre>` : '<p class="muted">No feedback yet.</p>'}
${notes.instructor.actionItems.length ? `<h3>Action items</h3><ul>${notes.instructor.actionItems.map((a) => `<li>☐ ${e(a)}</li>`).join('')}</ul>` : ''}
${notes.instructor.runbookLinks.length ? `<h3>Runbooks</h3><ul>${notes.instructor.runbookLinks.map((u) => `<li><a href="${e(u)}">${e(u)}</a></li>`).join('')}</ul>` : ''}
${r.recordings.length ? `<h2>Recordings</h2><ul>${r.recordings.map((x) => `<li><code>${e(x.id)}</code> ${e(x.vm)}, opened by ${e(x.openedBy)} (${e(x.role)}), ${x.bytes} bytes</li>`).join('')}</ul>` : ''}
<p class="muted">Generated ${e(r.generatedAt)} by Pudu.</p>
</body></html>
`;
}
