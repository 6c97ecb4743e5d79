/**
 * Scenario text → a validated spec, or every problem in it, each located at FILE:LINE:COL.
 * Hostile input (huge, binary, alias bombs, deep nesting, wrong top-level type) gets an
 * issue, never an exception or a hang.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { scenarioSpecSchema } from '@pudu/schema';
import type { ScenarioSpec } from '@pudu/schema';
import { checkSemantics } from './check-semantics.ts';
import { formatPath } from './scenario-issue.ts';
import type { ScenarioIssue } from './scenario-issue.ts';
import { locatePath } from './yaml-locate.ts';
import { convertZodIssues } from './zod-issues.ts';
import type { RawIssue } from './zod-issues.ts';

export const MAX_SCENARIO_BYTES = 1024 * 1024;
/** Past this many problems the rest is noise (often one unclosed bracket). */
const MAX_REPORTED_ISSUES = 50;
/** Anchors may be reused this often; more is an alias bomb, not a scenario. */
const MAX_ALIAS_COUNT = 200;

export type ParseResult = { ok: true; spec: ScenarioSpec } | { ok: false; errors: ScenarioIssue[] };

const fail = (file: string, message: string, line = 1, col = 1): ParseResult => ({
  ok: false,
  errors: [{ file, line, col, path: '', message }],
});

const tooLarge = (file: string): ParseResult =>
  fail(file, `file is larger than ${MAX_SCENARIO_BYTES / 1024} KiB; a scenario is a few KiB of YAML`);

function yamlValueOf(text: string, file: string): { value: unknown; locate: (i: RawIssue) => ScenarioIssue } | ParseResult {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length) {
    return {
      ok: false,
      errors: doc.errors.slice(0, MAX_REPORTED_ISSUES).map((e) => {
        const pos = counter.linePos(e.pos[0]);
        return { file, line: pos.line, col: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    return fail(file, `YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const locate = (i: RawIssue): ScenarioIssue => ({ file, ...locatePath(doc, counter, i.path, i.at), path: formatPath(i.path), message: i.message });
  return { value, locate };
}

/** Parses and validates scenario text; `file` is only used in the locations. */
export function parseScenario(text: string, file = '<input>'): ParseResult {
  if (Buffer.byteLength(text, 'utf8') > MAX_SCENARIO_BYTES) return tooLarge(file);
  if (text.includes('\u0000') || text.includes('\uFFFD')) return fail(file, 'file is not UTF-8 text (binary content)');
  let parsed: ReturnType<typeof yamlValueOf>;
  try {
    parsed = yamlValueOf(text, file);
  } catch (e) {
    // The YAML library recurses per nesting level; pathological depth ends here, not in a crash.
    if (e instanceof RangeError) return fail(file, 'YAML nests too deeply');
    throw e;
  }
  if ('ok' in parsed) return parsed;
  const { value, locate } = parsed;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail(file, `a scenario file is a mapping with scenario, environment, faults, …; got ${value === null ? 'an empty document' : Array.isArray(value) ? 'a list' : typeof value}`);
  }
  const result = scenarioSpecSchema.safeParse(value);
  const raw: RawIssue[] = result.success ? [] : convertZodIssues(result.error.issues, value, scenarioSpecSchema);
  raw.push(...checkSemantics(value));
  if (raw.length === 0 && result.success) return { ok: true, spec: result.data };
  const seen = new Set<string>();
  const errors = raw.map(locate).filter((i) => {
    const key = `${i.line}:${i.col}:${i.path}:${i.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  errors.sort((a, b) => a.line - b.line || a.col - b.col);
  if (errors.length > MAX_REPORTED_ISSUES) {
    const rest = errors.length - MAX_REPORTED_ISSUES;
    errors.length = MAX_REPORTED_ISSUES;
    errors.push({ file, line: errors[errors.length - 1]!.line, col: 1, path: '', message: `… and ${rest} more problem(s)` });
  }
  return { ok: false, errors };
}

/** Reads a scenario file (bounded in size) and parses it. */
export async function loadScenarioFile(path: string): Promise<ParseResult> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(path, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a scenario file' : `cannot read: ${String(e)}`);
  }
  if (buf.length > MAX_SCENARIO_BYTES) return tooLarge(path);
  if (buf.includes(0)) return fail(path, 'file is not UTF-8 text (binary content)');
  return parseScenario(buf.toString('utf8'), path);
}
