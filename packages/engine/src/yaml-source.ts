/**
 * YAML text → a plain value plus a locator that maps a path back to FILE:LINE:COL, with
 * the limits every Pudu file shares (size, binary content, alias bombs, deep nesting).
 * Scenario and policy files are both read through here, so both report problems alike.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { formatPath } from './scenario-issue.ts';
import type { ScenarioIssue } from './scenario-issue.ts';
import { locatePath } from './yaml-locate.ts';
import type { RawIssue } from './zod-issues.ts';

export const MAX_YAML_BYTES = 1024 * 1024;
/** Past this many problems the rest is noise (often one unclosed bracket). */
const MAX_REPORTED_ISSUES = 50;
/** Anchors may be reused this often; more is an alias bomb, not a document. */
const MAX_ALIAS_COUNT = 200;

export type YamlSource = { ok: true; value: unknown; locate: (i: RawIssue) => ScenarioIssue } | { ok: false; errors: ScenarioIssue[] };

/** One issue for the whole file (at 1:1 unless told). */
export function fileIssue(file: string, message: string, line = 1, col = 1): { ok: false; errors: ScenarioIssue[] } {
  return { ok: false, errors: [{ file, line, col, path: '', message }] };
}

export function tooLargeIssue(file: string, what: string): { ok: false; errors: ScenarioIssue[] } {
  return fileIssue(file, `file is larger than ${MAX_YAML_BYTES / 1024} KiB; ${what}`);
}

/** Parses YAML text; hostile input gets an issue, never an exception or a hang. */
export function readYamlSource(text: string, file: string, what: string): YamlSource {
  if (Buffer.byteLength(text, 'utf8') > MAX_YAML_BYTES) return tooLargeIssue(file, what);
  if (text.includes('\u0000') || text.includes('\uFFFD')) return fileIssue(file, 'file is not UTF-8 text (binary content)');
  try {
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
      if (e instanceof RangeError) throw e;
      return fileIssue(file, `YAML: ${e instanceof Error ? e.message : String(e)}`);
    }
    const locate = (i: RawIssue): ScenarioIssue => ({ file, ...locatePath(doc, counter, i.path, i.at), path: formatPath(i.path), message: i.message });
    return { ok: true, value, locate };
  } catch (e) {
    // The YAML library recurses per nesting level; pathological depth ends here, not in a crash.
    if (e instanceof RangeError) return fileIssue(file, 'YAML nests too deeply');
    throw e;
  }
}

/** Locates raw issues, drops duplicates, sorts them by position and caps the list. */
export function finishIssues(file: string, raw: RawIssue[], locate: (i: RawIssue) => ScenarioIssue): ScenarioIssue[] {
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
  return errors;
}

/** Reads a file for one of the parsers above: bounded in size, binary refused, errors located at 1:1. */
export async function readYamlFile(path: string, kind: string, what: string): Promise<{ ok: true; text: string } | { ok: false; errors: ScenarioIssue[] }> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fileIssue(path, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? `is a directory, not a ${kind} file` : `cannot read: ${String(e)}`);
  }
  if (buf.length > MAX_YAML_BYTES) return tooLargeIssue(path, what);
  if (buf.includes(0)) return fileIssue(path, 'file is not UTF-8 text (binary content)');
  return { ok: true, text: buf.toString('utf8') };
}
