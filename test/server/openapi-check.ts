/**
 * Validates real responses against the OpenAPI document the server serves (not against
 * the zod schemas directly): the path, the status and the body must all be documented.
 */
import { z } from 'zod';
import { apiPath } from '@pudu/schema';

type Json = Record<string, unknown>;
interface Doc { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Json }> }> }>>; components: { schemas: Record<string, Json> } }

function resolveRefs(node: unknown, components: Record<string, Json>): unknown {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, components));
  if (!node || typeof node !== 'object') return node;
  const o = node as Json;
  if (typeof o.$ref === 'string') {
    const name = o.$ref.replace('#/components/schemas/', '');
    const target = components[name];
    if (!target) throw new Error(`unresolvable $ref ${o.$ref}`);
    return resolveRefs(target, components);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveRefs(v, components)]));
}

export class OpenApiChecker {
  private readonly cache = new Map<string, z.ZodType>();
  /** How many responses were checked (tests assert it is not zero). */
  checked = 0;
  private constructor(readonly doc: Doc) {}

  static async load(baseUrl: string): Promise<OpenApiChecker> {
    const res = await fetch(baseUrl + apiPath('getOpenApi'));
    if (res.status !== 200) throw new Error(`openapi.json: HTTP ${res.status}`);
    return new OpenApiChecker((await res.json()) as Doc);
  }

  /** The documented path template for a concrete path (`…/fleets/f1` → `…/fleets/{id}`). */
  templateOf(path: string): string | null {
    const p = path.split('?')[0] ?? path;
    for (const t of Object.keys(this.doc.paths)) {
      const re = new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      if (re.test(p)) return t;
    }
    return null;
  }

  /** Throws unless (method, path, status, content type, body) is what the document promises. */
  check(method: string, path: string, status: number, contentType: string, body: unknown): void {
    const t = this.templateOf(path);
    if (!t) throw new Error(`${method} ${path}: path not in the OpenAPI document`);
    const op = this.doc.paths[t]?.[method.toLowerCase()];
    if (!op) throw new Error(`${method} ${t}: method not in the OpenAPI document`);
    const resp = op.responses[String(status)];
    if (!resp) throw new Error(`${method} ${t}: status ${status} not documented (documented: ${Object.keys(op.responses).join(', ')})`);
    const type = contentType.split(';')[0]!.trim();
    const media = resp.content?.[type];
    if (!media) throw new Error(`${method} ${t} ${status}: content type ${type} not documented`);
    // Documented non-JSON answers (SSE, a recording, a report) have no JSON schema to check.
    if (!type.endsWith('json')) return;
    const key = `${method} ${t} ${status} ${type}`;
    let schema = this.cache.get(key);
    if (!schema) {
      schema = z.fromJSONSchema(resolveRefs(media.schema, this.doc.components.schemas) as Parameters<typeof z.fromJSONSchema>[0]);
      this.cache.set(key, schema);
    }
    const r = schema.safeParse(body);
    if (!r.success) throw new Error(`${method} ${t} ${status}: body does not match the OpenAPI schema: ${JSON.stringify(r.error.issues.slice(0, 5))}\nbody: ${JSON.stringify(body).slice(0, 500)}`);
    this.checked += 1;
  }

  /** A fetch that checks every JSON response it returns (for PuduClient in tests). */
  fetch(): typeof fetch {
    return async (input, init) => {
      const res = await fetch(input, init);
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const type = res.headers.get('content-type') ?? '';
      if (type.includes('event-stream')) {
        this.check(init?.method ?? 'GET', url.pathname, res.status, type, null);
        return res;
      }
      const text = await res.clone().text();
      this.check(init?.method ?? 'GET', url.pathname, res.status, type, text && type.split(';')[0]!.trim().endsWith('json') ? JSON.parse(text) : undefined);
      return res;
    };
  }
}
