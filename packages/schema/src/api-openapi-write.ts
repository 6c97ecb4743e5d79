/**
 * Regenerates the committed OpenAPI copy: `npx tsx packages/schema/src/api-openapi-write.ts`.
 * api-openapi.test.ts fails while the copy is stale.
 */
import { writeFileSync } from 'node:fs';
import { OPENAPI_GENERATED_PATH, buildOpenApiDocument } from './api-openapi.ts';

/** The document as committed: 2-space JSON with a trailing newline. */
export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

if (process.argv[1]?.endsWith('api-openapi-write.ts')) {
  writeFileSync(OPENAPI_GENERATED_PATH, renderOpenApi());
  console.log(`wrote ${OPENAPI_GENERATED_PATH}`);
}
