/**
 * Generates the OpenAPI 3.1 document from the route table and its zod schemas. The server
 * serves it (route getOpenApi); a committed copy (api-openapi.generated.json) is
 * checked by a test so a schema change without regeneration fails CI.
 */
import { z } from 'zod';
import { API_ROUTES, COMMON_ERROR_STATUSES, type ApiRoute } from './api-routes.ts';
import { ProblemSchema } from './api.ts';

type JsonSchema = Record<string, unknown>;

/** Version of the API contract (info.version of the OpenAPI document). */
export const API_VERSION = '0.1.0';

/** Where the committed copy lives, relative to the repository root. */
export const OPENAPI_GENERATED_PATH = 'packages/schema/src/api-openapi.generated.json';

/** Converts a zod schema to an inline JSON Schema (2020-12, the dialect OpenAPI 3.1 uses). */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const js = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline' }) as JsonSchema;
  delete js.$schema;
  return js;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request', 401: 'Missing or invalid token', 403: 'Token not allowed here', 404: 'Not found',
  409: 'Conflict with the current state', 413: 'Body too large', 422: 'Scenario invalid (every issue with line:col)',
  429: 'Host budget exhausted (the body says what is free)',
  500: 'Internal error', 503: 'Driver or assets unavailable', 504: 'Timed out',
};

function parametersOf(route: ApiRoute): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [['path', route.params], ['query', route.query]] as const) {
    if (!schema) continue;
    const js = toJsonSchema(schema, 'input');
    const props = (js.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((js.required as string[] | undefined) ?? []);
    for (const [name, p] of Object.entries(props)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: p });
    }
  }
  return out;
}

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

function successOf(route: ApiRoute): JsonSchema {
  if (route.websocket) {
    return {
      description: 'Switching protocols. Token as `Authorization: Bearer`, `?token=`, or subprotocol `pudu.token.<token>`; ' +
        'a browser Origin must match the server. Keystrokes and output travel as binary frames; text frames carry JSON ' +
        'control messages: `{"type":"resize","cols":N,"rows":N}`. Trainees may open only their run\'s VMs; observers only with mode=readonly.',
    };
  }
  const content: Record<string, JsonSchema> = {};
  if (route.response) content[route.contentType ?? 'application/json'] = { schema: toJsonSchema(route.response, 'output') };
  if (route.sse) content['text/event-stream'] = { schema: { type: 'string', description: 'SSE: `id: <seq>`, `event: <kind>`, `data: <RunEvent JSON>`; resumes after Last-Event-ID' } };
  for (const [type, description] of Object.entries(route.media ?? {})) content[type] = { schema: { type: 'string', description } };
  return { description: route.summary, content };
}

function operationOf(route: ApiRoute): JsonSchema {
  const responses: Record<string, JsonSchema> = { [String(route.status)]: successOf(route) };
  for (const s of route.alsoStatuses ?? []) responses[String(s)] = successOf(route);
  const common = route.roles === 'public' ? [] : COMMON_ERROR_STATUSES;
  for (const s of [...new Set([...(route.errors ?? []), ...common])].sort()) {
    responses[String(s)] = route.websocket ? { description: STATUS_TEXT[s] ?? 'Error' } : { description: STATUS_TEXT[s] ?? 'Error', content: PROBLEM };
  }
  const op: JsonSchema = {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    description: route.roles === 'public' ? 'Public: no token needed.' : `Roles: ${route.roles.join(', ')}.`,
    parameters: parametersOf(route),
    responses,
  };
  if (route.roles === 'public') op.security = [];
  if (route.body) {
    op.requestBody = { required: true, content: { 'application/json': { schema: toJsonSchema(route.body, 'input') } } };
  }
  return op;
}

/** Builds the whole OpenAPI document. Deterministic: same schemas, same bytes. */
export function buildOpenApiDocument(version: string = API_VERSION): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of API_ROUTES as readonly ApiRoute[]) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Pudu API', version, description: 'Chaos-engineering platform for SRE on-call training. Errors are application/problem+json with a stable `code`.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: { schemas: { Problem: toJsonSchema(ProblemSchema, 'output') }, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
