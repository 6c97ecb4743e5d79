/** promtool (Debian's `prometheus` package), the real consumer of our metrics and rules. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

function promtool(args: string[], input?: string): { status: number | null; lines: string[] } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8' });
  assert.ok(!r.error, `promtool is not installed (apt-get install prometheus): ${r.error?.message}`);
  return { status: r.status, lines: `${r.stdout}${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean) };
}

/** `promtool check metrics` on a text exposition: its complaints ([] when clean). */
export function promtoolCheckMetrics(text: string): string[] {
  const r = promtool(['check', 'metrics'], text);
  return r.status === 0 ? r.lines : r.lines.length ? r.lines : [`exit ${r.status}`];
}

/** `promtool check rules FILE`: exit status and output. */
export function promtoolCheckRules(file: string): { ok: boolean; output: string } {
  const r = promtool(['check', 'rules', file]);
  return { ok: r.status === 0, output: r.lines.join('\n') };
}

/** `promtool test rules FILE` (the rules' own unit tests): exit status and output. */
export function promtoolTestRules(file: string): { ok: boolean; output: string } {
  const r = promtool(['test', 'rules', file]);
  return { ok: r.status === 0, output: r.lines.join('\n') };
}
