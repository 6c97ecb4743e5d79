/**
 * A follower's API: every `/api/` request (and the terminal WebSocket) is passed on to the
 * leader as it came — the caller's token, body and streams (SSE, WebSocket) untouched, the
 * leader authenticates and answers — as Vault standbys do. A follower serves only what is
 * its own: probes, its metrics, the web UI, the OpenAPI document and schemas. While no
 * replica leads (an election after a leader died) the answer is 503 LEADER_UNAVAILABLE
 * with Retry-After, never a stale or half answer.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PuduError, apiPath } from '@pudu/schema';
import { toProblem } from '../http/problem.ts';

/** Marks a request a replica forwarded: a replica that is not the leader refuses it instead of forwarding again. */
export const FORWARDED_BY_HEADER = 'x-pudu-forwarded-by';
const RETRY_AFTER_S = 1;
const CONNECT_TIMEOUT_MS = 5000;
/** Served by every replica from its own state (the documents that describe the API). */
const LOCAL_API = new Set([apiPath('getOpenApi'), apiPath('getScenarioSchema')]);
const TERMINAL = apiPath('terminal');
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'proxy-authenticate']);

export type Role = 'leader' | 'taking-over' | 'follower';

export interface Forwarder {
  /** Handles the request when it is the leader's (forwarded or refused); false: serve it here. */
  http(req: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  /** Same for a WebSocket upgrade (the terminal): true when it was tunnelled or refused. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export interface ForwarderOptions {
  role(): Role;
  replicaId: string;
  /** The leader's advertised URL, or null while none is announced. */
  leaderUrl(): Promise<string | null>;
  log: (msg: string) => void;
}

function needsLeader(path: string): boolean {
  return (path.startsWith('/api/') && !LOCAL_API.has(path)) || path === TERMINAL;
}

function unavailable(why: string): PuduError {
  return new PuduError('LEADER_UNAVAILABLE', `no replica can run this now: ${why}; retry in a second`);
}

function forwardHeaders(req: IncomingMessage, replicaId: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
  const ip = req.socket.remoteAddress ?? '';
  out['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${ip}` : ip;
  out['x-forwarded-proto'] = req.headers['x-forwarded-proto'] ?? ('encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http');
  out[FORWARDED_BY_HEADER] = replicaId;
  return out;
}

export function createForwarder(o: ForwarderOptions): Forwarder {
  /** Why this replica cannot answer a leader's request itself, or null when it must forward it. */
  const refusal = (req: IncomingMessage): PuduError | null => {
    const role = o.role();
    if (role === 'taking-over') return unavailable('this replica has just become the leader and is resuming the runs');
    if (req.headers[FORWARDED_BY_HEADER]) return unavailable(`forwarded by ${String(req.headers[FORWARDED_BY_HEADER])}, but this replica no longer leads`);
    return null;
  };

  return {
    async http(req, reply) {
      if (o.role() === 'leader' || !needsLeader(req.url.split('?')[0]!)) return false;
      const send = (e: PuduError): true => {
        const p = toProblem(e, req.url);
        void reply.code(p.status).header('retry-after', String(RETRY_AFTER_S)).type('application/problem+json').send(p);
        return true;
      };
      const refused = refusal(req.raw);
      if (refused) return send(refused);
      const target = await o.leaderUrl();
      if (!target) return send(unavailable('no leader has been elected yet'));
      const url = new URL(req.url, target);
      const started = performance.now();
      return new Promise<true>((resolve) => {
        const upstream = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: req.method, headers: forwardHeaders(req.raw, o.replicaId), timeout: CONNECT_TIMEOUT_MS }, (res) => {
          upstream.setTimeout(0);
          req.forwarded = true;
          reply.hijack();
          const headers: OutgoingHttpHeaders = {};
          for (const [k, v] of Object.entries(res.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
          reply.raw.writeHead(res.statusCode ?? 502, headers);
          res.pipe(reply.raw);
          // A client that goes away (an SSE reader) ends the leader's side too.
          reply.raw.once('close', () => res.destroy());
          res.once('end', () => o.log(`forwarded ${req.method} ${url.pathname} → leader: ${res.statusCode} in ${Math.round(performance.now() - started)} ms`));
          resolve(true);
        });
        upstream.on('timeout', () => upstream.destroy(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`)));
        upstream.on('error', (e) => {
          if (reply.sent || reply.raw.headersSent) {
            reply.raw.destroy();
            return resolve(true);
          }
          resolve(send(unavailable(`the leader at ${target} did not answer (${(e as NodeJS.ErrnoException).code ?? e.message})`)));
        });
        req.raw.pipe(upstream);
      });
    },

    upgrade(req, socket, head) {
      if (o.role() === 'leader' || !needsLeader((req.url ?? '/').split('?')[0]!)) return false;
      const refuse = (e: PuduError): void => {
        const p = toProblem(e, req.url ?? TERMINAL);
        const b = JSON.stringify(p);
        socket.end(`HTTP/1.1 ${p.status} ${p.title}\r\ncontent-type: application/problem+json\r\nretry-after: ${RETRY_AFTER_S}\r\ncontent-length: ${Buffer.byteLength(b)}\r\nconnection: close\r\n\r\n${b}`);
      };
      const refused = refusal(req);
      if (refused) {
        refuse(refused);
        return true;
      }
      void o.leaderUrl().then((target) => {
        if (!target) return refuse(unavailable('no leader has been elected yet'));
        const url = new URL(req.url ?? '/', target);
        const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
        const upstream: Socket = url.protocol === 'https:' ? tlsConnect({ host: url.hostname, port, servername: url.hostname }) : netConnect({ host: url.hostname, port });
        upstream.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
          const headers = { ...forwardHeaders(req, o.replicaId), connection: 'Upgrade', upgrade: String(req.headers.upgrade ?? 'websocket') };
          const lines = Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : [`${k}: ${String(v)}`]));
          upstream.write(`${req.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
          if (head.length) upstream.write(head);
          upstream.pipe(socket);
          socket.pipe(upstream);
        });
        upstream.once('error', (e) => {
          if (!upstream.readable || upstream.bytesRead === 0) refuse(unavailable(`the leader at ${target} did not answer (${(e as NodeJS.ErrnoException).code ?? e.message})`));
          else socket.destroy();
        });
        socket.once('error', () => upstream.destroy());
        socket.once('close', () => upstream.destroy());
      }, (e: unknown) => refuse(unavailable((e as Error).message)));
      return true;
    },
  };
}
