import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { API_ROUTES, apiPath, apiRoute, matchApiRoute, type ApiRoute } from './api-routes.ts';
import { OPENAPI_GENERATED_PATH, buildOpenApiDocument } from './api-openapi.ts';
import { renderOpenApi } from './api-openapi-write.ts';

test('the committed OpenAPI copy matches the schemas (regenerate with npx tsx packages/schema/src/api-openapi-write.ts)', () => {
  const committed = readFileSync(OPENAPI_GENERATED_PATH, 'utf8');
  assert.equal(committed, renderOpenApi());
});

test('every route of the table is in the document with its success status and problem+json errors', () => {
  const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> }>> };
  for (const r of API_ROUTES as readonly ApiRoute[]) {
    const op = doc.paths[r.path]?.[r.method.toLowerCase()];
    assert.ok(op, `${r.method} ${r.path} missing`);
    assert.ok(op.responses[String(r.status)], `${r.operationId}: no ${r.status} response`);
    if (r.roles === 'public') {
      assert.deepEqual(op.security, [], `${r.operationId}: a public route needs no token`);
      if (!r.errors?.includes(401)) assert.equal(op.responses['401'], undefined, `${r.operationId}: a public route asks for no token`);
    } else if (r.websocket) {
      assert.ok(op.responses['401'], `${r.operationId}: no 401`);
    } else {
      assert.ok(op.responses['401']?.content?.['application/problem+json'], `${r.operationId}: 401 is not problem+json`);
    }
  }
});

test('apiPath fills and encodes path parameters and drops undefined query values', () => {
  assert.equal(apiPath('getRun', { id: 'r1' }), apiRoute('getRun').path.replace('{id}', 'r1'));
  assert.equal(apiPath('getLibraryScenario', { name: 'monolith/disk-full' }), apiRoute('getLibraryScenario').path.replace('{name}', 'monolith%2Fdisk-full'));
  assert.equal(apiPath('listRunEvents', { id: 'r 1' }, { after: 3, x: undefined }), `${apiRoute('listRunEvents').path.replace('{id}', 'r%201')}?after=3`);
  assert.throws(() => apiPath('getRun'), /missing path parameter id/);
});

test('operation ids are unique and paths use {param} placeholders only', () => {
  const ids = API_ROUTES.map((r) => r.operationId);
  assert.equal(new Set(ids).size, ids.length);
  for (const r of API_ROUTES) assert.doesNotMatch(r.path, /:\w/, r.path);
});

test('matchApiRoute finds the route and decodes its parameters', () => {
  const m = matchApiRoute('GET', apiRoute('getLibraryScenario').path.replace('{name}', 'monolith%2Fdisk-full'));
  assert.equal(m?.route.operationId, 'getLibraryScenario');
  assert.deepEqual(m?.params, { name: 'monolith/disk-full' });
  assert.equal(matchApiRoute('POST', apiPath('abortRun', { id: 'r1' }))?.route.operationId, 'abortRun');
  assert.equal(matchApiRoute('DELETE', apiPath('takeHint', { id: 'r1' })), null);
  for (const r of API_ROUTES) {
    const params = Object.fromEntries([...r.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1]!, 'x']));
    assert.equal(matchApiRoute(r.method, apiPath(r.operationId, params))?.route.operationId, r.operationId);
  }
});
