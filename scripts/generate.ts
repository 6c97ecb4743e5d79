// Regenerates the committed generated files (run: node --import tsx scripts/generate.ts).
import { writeFileSync } from 'node:fs';
import { SCENARIO_SCHEMA_FILE, scenarioJsonSchemaText } from '../packages/schema/src/scenario-json-schema.ts';

writeFileSync(SCENARIO_SCHEMA_FILE, scenarioJsonSchemaText());
console.log(`wrote ${SCENARIO_SCHEMA_FILE}`);
