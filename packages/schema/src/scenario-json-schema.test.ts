import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FAULT_TYPES } from './fault-params.ts';
import { CHECK_TYPES } from './scenario-spec.ts';
import { SCENARIO_SCHEMA_FILE, scenarioJsonSchema, scenarioJsonSchemaText } from './scenario-json-schema.ts';

test('the committed scenario.schema.json matches the zod spec (regenerate: node --import tsx scripts/generate.ts)', () => {
  assert.equal(readFileSync(SCENARIO_SCHEMA_FILE, 'utf8'), scenarioJsonSchemaText());
});

test('the JSON Schema is draft 2020-12 with one if/then per fault type and per check type', () => {
  const schema = scenarioJsonSchema() as { $schema: string; properties: Record<string, { items: { allOf?: { if: { properties: { type: { const: string } } } }[]; properties: { check: { allOf?: { if: { properties: { type: { const: string } } } }[] } } } }> };
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  const typesOf = (allOf: { if: { properties: { type: { const: string } } } }[] | undefined) => (allOf ?? []).map((v) => v.if.properties.type.const);
  assert.deepEqual(typesOf(schema.properties.faults!.items.allOf), [...FAULT_TYPES]);
  assert.deepEqual(typesOf(schema.properties.objectives!.items.properties.check.allOf), [...CHECK_TYPES]);
  const text = JSON.stringify(schema);
  for (const key of ['"load"', '"rate"', '"ceiling"', '"packet_loss"', '"resolve_to"', '"expected_status"', '"condition"']) assert.ok(text.includes(key), key);
  assert.doesNotMatch(text, /"format":"(?!ipv4"|ipv6"|regex")/, 'only standard formats');
});
