import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SCENARIO_SCHEMA_FILE, scenarioJsonSchema, scenarioJsonSchemaText } from './scenario-json-schema.ts';

test('the committed scenario.schema.json matches the zod spec (regenerate: node --import tsx scripts/generate.ts)', () => {
  assert.equal(readFileSync(SCENARIO_SCHEMA_FILE, 'utf8'), scenarioJsonSchemaText());
});

test('the JSON Schema gives editors one variant per fault type with its own params', () => {
  const text = JSON.stringify(scenarioJsonSchema());
  for (const key of ['"load"', '"rate"', '"ceiling"', '"packet_loss"', '"resolve_to"', '"expected_status"', '"condition"']) assert.ok(text.includes(key), key);
});
