/**
 * The server's structured log (pino): one JSON line per request — request id, method,
 * route template, status, milliseconds, actor — and the server's own messages. Never a
 * token: the route is the template (`…/scenarios/:id`), the query string is dropped
 * (`?token=` is how browsers authenticate SSE and WebSockets), and headers are not logged.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { FastifyReply, FastifyRequest } from 'fastify';

export type { Logger };

/** A JSON logger at `level` writing to `dest` (default stdout, synchronously so no line is lost on exit). */
export function createLogger(level: string, dest: DestinationStream = pino.destination({ fd: 1, sync: true })): Logger {
  return pino({
    level,
    base: { service: 'pudu-server' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, dest);
}

/** The fields of one access-log line. */
export interface AccessEntry {
  req_id: string;
  method: string;
  /** The matched route template, or null when no route matched (404, static files). */
  route: string | null;
  /** The path without its query string, only when no route matched. */
  path?: string;
  status: number;
  ms: number;
  /** `name (token id)` of the authenticated caller, or null. */
  actor: string | null;
  ip: string;
}

/** The access-log entry of a finished request. */
export function accessEntry(req: FastifyRequest, reply: FastifyReply, ms: number): AccessEntry {
  const route = req.routeOptions.url ?? null;
  const p = req.principal;
  return {
    req_id: String(req.id),
    method: req.method,
    route,
    ...(route ? {} : { path: (req.url.split('?')[0] ?? '').slice(0, 200) }),
    status: reply.statusCode,
    ms: Math.round(ms * 10) / 10,
    actor: p ? `${p.name} (${p.id})` : null,
    ip: req.ip,
  };
}
