/**
 * A scenario named the way every governance request names one (YAML text or a library
 * name), parsed and compiled, or SCENARIO_INVALID with every located issue.
 */
import { compileScenario, parseScenario, type CompiledScenario } from '@pudu/engine';
import { PuduError, formatIssue } from '@pudu/schema';
import type { Library } from '../library.ts';

export interface ScenarioSource { yaml?: string; file?: string; name?: string }

/** The scenario's text and the file name its errors are located in. */
export async function scenarioText(library: Library, s: ScenarioSource): Promise<{ yaml: string; file: string }> {
  if (s.name !== undefined) {
    const { yaml, file } = await library.read(s.name);
    return { yaml, file };
  }
  return { yaml: s.yaml ?? '', file: s.file ?? '<request>' };
}

/** Parses and compiles, or throws SCENARIO_INVALID (422) listing every problem at FILE:LINE:COL. */
export function compileOrThrow(yaml: string, file: string, o: { seed?: number; defaultSeed?: number } = {}): CompiledScenario {
  const parsed = parseScenario(yaml, file);
  if (!parsed.ok) {
    const list = parsed.errors.map(formatIssue);
    throw new PuduError('SCENARIO_INVALID', `${file}: ${parsed.errors.length} problem(s):\n${list.join('\n')}`, { errors: parsed.errors });
  }
  const seed = o.seed ?? parsed.spec.scenario.seed ?? o.defaultSeed;
  return compileScenario(parsed.spec, seed === undefined ? {} : { seed });
}
