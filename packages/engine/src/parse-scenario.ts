/**
 * Scenario text → a validated spec, or every problem in it, each located at FILE:LINE:COL.
 * Hostile input (huge, binary, alias bombs, deep nesting, wrong top-level type) gets an
 * issue, never an exception or a hang.
 */
import { scenarioSpecSchema } from '@pudu/schema';
import type { ScenarioSpec } from '@pudu/schema';
import { checkSemantics } from './check-semantics.ts';
import type { ScenarioIssue } from './scenario-issue.ts';
import { convertZodIssues } from './zod-issues.ts';
import type { RawIssue } from './zod-issues.ts';
import { MAX_YAML_BYTES, fileIssue, finishIssues, readYamlFile, readYamlSource } from './yaml-source.ts';

export const MAX_SCENARIO_BYTES = MAX_YAML_BYTES;

export type ParseResult = { ok: true; spec: ScenarioSpec } | { ok: false; errors: ScenarioIssue[] };

const fail = fileIssue;

/** Parses and validates scenario text; `file` is only used in the locations. */
export function parseScenario(text: string, file = '<input>'): ParseResult {
  const parsed = readYamlSource(text, file, 'a scenario is a few KiB of YAML');
  if (!parsed.ok) return parsed;
  const { value, locate } = parsed;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail(file, `a scenario file is a mapping with scenario, environment, faults, …; got ${value === null ? 'an empty document' : Array.isArray(value) ? 'a list' : typeof value}`);
  }
  const result = scenarioSpecSchema.safeParse(value);
  const raw: RawIssue[] = result.success ? [] : convertZodIssues(result.error.issues, value, scenarioSpecSchema);
  raw.push(...checkSemantics(value));
  if (raw.length === 0 && result.success) return { ok: true, spec: result.data };
  return { ok: false, errors: finishIssues(file, raw, locate) };
}

/** Reads a scenario file (bounded in size) and parses it. */
export async function loadScenarioFile(path: string): Promise<ParseResult> {
  const r = await readYamlFile(path, 'scenario', 'a scenario is a few KiB of YAML');
  return r.ok ? parseScenario(r.text, path) : r;
}
