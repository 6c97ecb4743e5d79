/** Plain-text tables and JSON output shared by every puduc command. */

/** Left-aligned columns separated by two spaces; header row first. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Documented exit codes (see `puduc --help`). */
export const EXIT = {
  OK: 0,
  /** Invalid input, a refused request (400/404/409/422/423), or a run that ended unresolved. */
  FAILED: 1,
  /** Wrong usage (unknown command or option). */
  USAGE: 2,
  /** The server could not be reached, refused the token (401/403), or failed (5xx). */
  SERVER: 3,
} as const;
