/**
 * The JSON Schema of scenario files, generated from the zod spec; committed as
 * packages/schema/scenario.schema.json so editors can use it
 * (`# yaml-language-server: $schema=…`). A test fails when the committed copy is stale.
 */
import { z } from 'zod';
import { scenarioSpecForEditors } from './scenario-spec.ts';

export const SCENARIO_SCHEMA_FILE = 'packages/schema/scenario.schema.json';

export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSpecForEditors(), { io: 'input', unrepresentable: 'any', target: 'draft-7' });
  return { ...schema, $id: 'https://pudu.dev/schemas/scenario.schema.json', title: 'Pudu scenario' };
}

/** The exact text of the committed file. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
