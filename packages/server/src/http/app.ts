/**
 * The fastify app: auth on every route, zod validation at the edge, one problem+json
 * error handler, audit of every mutation, latency metrics, the web UI's static files.
 * Handlers are registered from the schema's route table so OpenAPI and code cannot drift.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { API_ROUTES, PuduError, fastifyPath, type ApiRouteEntry } from '@pudu/schema';
import type { z } from 'zod';
import { bearerToken, type Principal } from '../auth/tokens.ts';
import { authenticate as authenticateWith } from '../auth/authenticate.ts';
import type { ServerContext } from '../context.ts';
import { bearerChallenge, parseInput, toProblem } from './problem.ts';
import { serveStatic } from './static.ts';
import { accessEntry } from './access-log.ts';

/** Routes the app answers itself (the WebSocket upgrade is the HTTP server's, see terminal-ws.ts). */
type Route = Exclude<ApiRouteEntry, { websocket: true }>;
type HandledOperationId = Route['operationId'];
type RouteOf<K extends HandledOperationId> = Extract<Route, { operationId: K }>;
type In<R, F extends string> = R extends { [P in F]: infer S extends z.ZodType } ? z.output<S> : undefined;
type Out<R> = R extends { response: infer S extends z.ZodType } ? z.input<S> : undefined;

export interface HandlerContext<K extends HandledOperationId> {
  /** The caller; public routes have none. */
  principal: RouteOf<K>['roles'] extends 'public' ? null : Principal;
  params: In<RouteOf<K>, 'params'>;
  query: In<RouteOf<K>, 'query'>;
  body: In<RouteOf<K>, 'body'>;
  req: FastifyRequest;
  reply: FastifyReply;
  /** What the audit entry of this request names as its target and detail. */
  audit: { target?: string; detail?: string };
}

export type Handlers = {
  [K in HandledOperationId]: (c: HandlerContext<K>) => Promise<Out<RouteOf<K>> | FastifyReply>;
};

const BODY_LIMIT_BYTES = 512 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    auditInfo?: { target?: string; detail?: string };
    /** Passed on to the leader replica (leader/forward.ts): the leader audits it, not this replica. */
    forwarded?: boolean;
  }
}

/** Resolves the request's Bearer token to a principal, or throws 401 (`?token=` is for /ws only). */
export async function authenticate(ctx: ServerContext, req: FastifyRequest): Promise<Principal> {
  const p = await authenticateWith(ctx, bearerToken(req.headers));
  req.principal = p;
  return p;
}

export interface AppOptions {
  /** PEM certificate and key: serve HTTPS. */
  https?: { cert: Buffer; key: Buffer };
  /** Proxies whose X-Forwarded-* headers are believed (IPs/CIDRs); none by default. */
  trustProxy?: string[];
}

/** RFC 6750: a 401 names the scheme it wants, and says the token was bad when one was sent. */
function wwwAuthenticate(req: FastifyRequest): string {
  return bearerChallenge(req.headers.authorization !== undefined || /[?&]token=/.test(req.url));
}

function sendProblem(ctx: ServerContext, err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  // A 5xx body carries only the request id; what went wrong (paths, commands) is logged under it.
  const problem = toProblem(err, req.url.split('?')[0], req.id);
  if (problem.status >= 500) ctx.log(`error ${req.id} ${req.method} ${req.url.split('?')[0]}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  if (problem.status === 401) void reply.header('www-authenticate', wwwAuthenticate(req));
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/** Builds the app (not listening yet). */
export function createApp(ctx: ServerContext, handlers: Handlers, opts: AppOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: false, bodyLimit: BODY_LIMIT_BYTES, forceCloseConnections: true,
    trustProxy: opts.trustProxy?.length ? opts.trustProxy : false,
    ...(opts.https ? { https: opts.https } : {}),
    // Our own ids: a client-sent X-Request-Id is not trusted to be unique.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    // A URL that cannot be decoded, or a body fastify cannot parse, still answers problem+json.
    frameworkErrors: (err, req, reply) => {
      void sendProblem(ctx, new PuduError('BAD_REQUEST', err.message.replace(/^.*?: /, '')), req, reply);
    },
  }) as unknown as FastifyInstance;

  app.setErrorHandler((err, req, reply) => {
    void sendProblem(ctx, err, req, reply);
  });

  app.addHook('onRequest', async (req, reply) => {
    (req as { startedAt?: number }).startedAt = performance.now();
    void reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    const started = (req as { startedAt?: number }).startedAt ?? performance.now();
    const ms = performance.now() - started;
    ctx.logger.info(accessEntry(req, reply, ms), 'request');
    const route = req.routeOptions.url ?? 'static';
    ctx.metrics.apiLatencySeconds.observe({ method: req.method, route, status: String(reply.statusCode) }, ms / 1000);
    if (req.method === 'GET' || req.method === 'HEAD' || !route.startsWith('/api/') || req.forwarded) return;
    // Every mutation, allowed or not, goes to the append-only audit log.
    const status = reply.statusCode;
    const result = status < 400 ? 'ok' : status === 401 || status === 403 ? 'denied' : 'error';
    const p = req.principal;
    await ctx.store.appendAudit({
      actor: p ? `${p.name} (${p.id})` : 'anonymous',
      role: p?.role ?? 'none',
      action: `${req.method} ${route}`,
      target: req.auditInfo?.target ?? req.url.split('?')[0] ?? '',
      result,
      detail: req.auditInfo?.detail ?? `HTTP ${status}`,
    }).catch((e: unknown) => ctx.log(`audit write failed: ${String(e)}`));
  });

  for (const route of API_ROUTES) {
    if ('websocket' in route) continue;
    const handler = handlers[route.operationId] as (c: HandlerContext<HandledOperationId>) => Promise<unknown>;
    app.route({
      method: route.method,
      url: fastifyPath(route),
      handler: async (req, reply) => {
        let principal: Principal | null = null;
        if (route.roles !== 'public') {
          principal = await authenticate(ctx, req);
          if (!(route.roles as readonly string[]).includes(principal.role)) {
            throw new PuduError('FORBIDDEN', `${route.operationId} is not allowed for role ${principal.role}`);
          }
        }
        const c = {
          principal,
          params: 'params' in route ? parseInput(route.params, req.params, 'params') : undefined,
          query: 'query' in route ? parseInput(route.query, req.query, 'query') : undefined,
          body: 'body' in route ? parseInput(route.body, req.body ?? {}, 'body') : undefined,
          req,
          reply,
          audit: {},
        } as HandlerContext<HandledOperationId>;
        req.auditInfo = c.audit;
        const out = await handler(c);
        if (out === reply) return reply;
        if ('contentType' in route) void reply.type(route.contentType);
        return reply.code(route.status).send(out);
      },
    });
  }

  app.setNotFoundHandler(async (req, reply) => {
    if (req.url.startsWith('/api/') || req.method !== 'GET') {
      throw new PuduError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    }
    return serveStatic(ctx.webDir, req, reply);
  });
  return app;
}
