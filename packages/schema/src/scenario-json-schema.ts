/**
 * The JSON Schema (draft 2020-12) of scenario files, generated from the zod spec; committed
 * as packages/schema/scenario.schema.json (a test fails when stale) and served by the server
 * at the route getScenarioSchema, where its `$id` points. Editors use it with
 * `# yaml-language-server: $schema=…`; CI can check files with any 2020-12 validator.
 *
 * Params and check fields depend on `type`: each fault and each check gets one
 * `if: {type: <t>} then: {…}` per type (the standard 2020-12 way to discriminate), so a
 * misspelled type is one `enum` error, and a known type is checked against its own fields.
 */
import { z } from 'zod';
import { apiRoute } from './api-routes.ts';
import { FAULT_PARAMS, FAULT_TYPES } from './fault-params.ts';
import { CHECK_FIELDS, CHECK_TYPES, checkSchema, faultSchema, scenarioSpecSchema } from './scenario-spec.ts';

type Json = Record<string, unknown>;

export const SCENARIO_SCHEMA_FILE = 'packages/schema/scenario.schema.json';
/**
 * The committed `$id`: the route's path, a URI reference that resolves against wherever the
 * schema was fetched from. The server answers with its own absolute URL in `$id`.
 */
export const SCENARIO_SCHEMA_ID = apiRoute('getScenarioSchema').path;

function jsonOf(schema: z.ZodType): Json {
  const js = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any', reused: 'inline' }) as Json;
  delete js.$schema;
  return js;
}

const ifType = (t: string): Json => ({ properties: { type: { const: t } }, required: ['type'] });

/** The fault's params, per type. */
function faultVariants(): Json[] {
  return FAULT_TYPES.map((t) => {
    const params = jsonOf(FAULT_PARAMS[t]);
    const required = (params.required as string[] | undefined)?.length ? { required: ['params'] } : {};
    return { if: ifType(t), then: { properties: { params }, ...required } };
  });
}

/** The check's fields, per type, beside `type` and `target`; nothing else. */
function checkVariants(): Json[] {
  return CHECK_TYPES.map((t) => {
    const fields = jsonOf(CHECK_FIELDS[t]);
    return {
      if: ifType(t),
      then: {
        properties: { type: true, target: true, ...(fields.properties as Json) },
        ...(fields.required ? { required: fields.required } : {}),
        additionalProperties: false,
      },
    };
  });
}

export function scenarioJsonSchema(): Json {
  const schema = z.toJSONSchema(scenarioSpecSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema === faultSchema) ctx.jsonSchema.allOf = [...(ctx.jsonSchema.allOf ?? []), ...faultVariants()] as never;
      if (ctx.zodSchema === checkSchema) ctx.jsonSchema.allOf = [...(ctx.jsonSchema.allOf ?? []), ...checkVariants()] as never;
    },
  }) as Json;
  return { ...schema, $id: SCENARIO_SCHEMA_ID, title: 'Pudu scenario' };
}

/** The exact text of the committed file. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
