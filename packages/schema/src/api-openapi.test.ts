import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { API_ROUTES } from './api-routes.ts';
import { OPENAPI_GENERATED_PATH, buildOpenApiDocument } from './api-openapi.ts';
import { renderOpenApi } from './api-openapi-write.ts';

test('the committed OpenAPI copy matches the schemas (regenerate with npx tsx packages/schema/src/api-openapi-write.ts)', () => {
  const committed = readFileSync(OPENAPI_GENERATED_PATH, 'utf8');
  assert.equal(committed, renderOpenApi());
});

test('every route of the table is in the document with its success status and problem+json errors', () => {
  const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };
  for (const r of API_ROUTES) {
    const op = doc.paths[r.path]?.[r.method.toLowerCase()];
    assert.ok(op, `${r.method} ${r.path} missing`);
    assert.ok(op.responses[String(r.status)], `${r.operationId}: no ${r.status} response`);
    assert.ok(op.responses['401']?.content?.['application/problem+json'], `${r.operationId}: 401 is not problem+json`);
  }
});

test('operation ids are unique and paths use {param} placeholders only', () => {
  const ids = API_ROUTES.map((r) => r.operationId);
  assert.equal(new Set(ids).size, ids.length);
  for (const r of API_ROUTES) assert.doesNotMatch(r.path, /:\w/, r.path);
});
