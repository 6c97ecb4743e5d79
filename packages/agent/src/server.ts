import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { z } from 'zod';
import { AGENT_ROUTES, AGENT_SIG_HEADERS, agentRoute, isPuduError, matchAgentRoute, PROBLEM_CONTENT_TYPE, problemOf, PuduError, type AgentIdentity, type AgentOp } from '@pudu/schema';
import { isPeerAllowed, type Cidr } from './access.ts';
import type { AgentLog } from './agent-log.ts';
import type { FaultManager } from './fault-manager.ts';
import type { HistoryKeeper } from './history/history-keeper.ts';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus, type MetricsSampler } from './metrics.ts';
import { listServices } from './services.ts';
import { signAgentReply, type RequestVerifier } from './signing.ts';

const MAX_BODY_BYTES = 64 * 1024;

export interface AgentServerOptions {
  faults: FaultManager;
  history: HistoryKeeper;
  metrics: MetricsSampler;
  verifier: RequestVerifier;
  /** This process's own key: it signs every reply, and dies with the process. */
  instanceKey: KeyObject;
  identity: () => AgentIdentity;
  /** Empty over a Unix socket (no peer address to check). */
  allowFrom: readonly Cidr[];
  tcp: boolean;
  version: string;
  deadmanMs: number;
  /** Called on every authenticated request: it feeds the dead-man switch. */
  onAuthenticated: () => void;
  /** Called on every refused request: the count travels in every reply's identity. */
  onRefused: () => void;
  log: AgentLog;
}

interface Reply {
  status: number;
  body: unknown;
  type?: string;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** Writes a reply with the agent's identity and the instance's signature over (nonce, status, identity, body). */
function send(o: AgentServerOptions, req: IncomingMessage, res: ServerResponse, r: Reply): void {
  const type = r.type ?? 'application/json';
  const text = type.endsWith('json') ? JSON.stringify(r.body) : String(r.body);
  const identityB64 = Buffer.from(JSON.stringify(o.identity())).toString('base64url');
  const signature = signAgentReply(o.instanceKey, { nonce: header(req, AGENT_SIG_HEADERS.nonce) ?? '', status: r.status, identityB64, body: text });
  res.writeHead(r.status, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    [AGENT_SIG_HEADERS.identity]: identityB64,
    [AGENT_SIG_HEADERS.replySignature]: signature,
  });
  res.end(text);
}

/** Every agent error is problem+json (RFC 9457) with a shared code, as the API's are. */
function errorReply(e: unknown): Reply {
  const err = isPuduError(e) ? e : new PuduError('INTERNAL', (e as Error)?.message ?? String(e));
  return { status: err.status, body: problemOf(err.code, err.message, { details: err.details }), type: PROBLEM_CONTENT_TYPE };
}

/**
 * The agent's HTTP API (the seed's routes). Only parsing and access control live here;
 * every action goes to the FaultManager. Order of checks: source address (TCP only), then
 * the request's signature (time, nonce, audience, body).
 */
export function createAgentServer(o: AgentServerOptions): Server {
  return createServer((req, res) => {
    void handle(o, req)
      .catch((e) => errorReply(e))
      .then((r) => send(o, req, res, r));
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY_BYTES) throw new PuduError('INPUT_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface Request { url: URL; json: () => unknown }
/** A handler's answer: the JSON body, or a body in another media type (the table's `media`). */
type Answer = { body: unknown; type?: string };
type Handlers = { [K in AgentOp]: (o: AgentServerOptions, r: Request) => Promise<Answer> | Answer };

/** One handler per route of the table (TypeScript refuses a missing one); the status is the table's. */
const HANDLERS: Handlers = {
  health: (o) => ({ body: { status: 'ok', version: o.version, uptime_s: Math.round(o.identity().uptime_ms / 1000) } }),
  metrics: async (o, r) => {
    const m = o.metrics.read();
    if (query('metrics', r.url).format === 'prometheus') return { body: await renderPrometheus(m, o.faults.countByState()), type: PROMETHEUS_CONTENT_TYPE };
    return { body: m };
  },
  planFault: async (o, r) => ({ body: await o.faults.plan(r.json()) }),
  startFault: async (o, r) => ({ body: await o.faults.start(r.json()) }),
  stopFault: async (o, r) => {
    const b = agentRoute('stopFault').body.safeParse(r.json());
    if (!b.success) throw new PuduError('FAULT_INVALID', `body: ${b.error.issues.map((i) => `${i.path.join('.') || 'id'}: ${i.message}`).join('; ')}`);
    return { body: await o.faults.stop(b.data.id) };
  },
  listFaults: (o) => ({ body: { faults: o.faults.list() } }),
  services: async () => ({ body: await listServices() }),
  log: (o, r) => ({ body: o.log.since(query('log', r.url).since) }),
  heartbeat: (o) => ({ body: { status: 'ok', deadman_ms: o.deadmanMs, active_faults: o.faults.activeCount() } }),
  writeHistory: (o, r) => ({ body: o.history.write(r.json()) }),
};

async function dispatch(o: AgentServerOptions, op: AgentOp, r: Request): Promise<Reply> {
  return { status: agentRoute(op).status, ...(await HANDLERS[op](o, r)) };
}

function query<K extends 'metrics' | 'log'>(op: K, url: URL): z.output<(typeof AGENT_ROUTES)[K]['query']> {
  const q = AGENT_ROUTES[op].query.safeParse(Object.fromEntries(url.searchParams));
  if (!q.success) throw new PuduError('BAD_REQUEST', `query: ${q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return q.data as z.output<(typeof AGENT_ROUTES)[K]['query']>;
}

async function handle(o: AgentServerOptions, req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://agent');
  const route = `${req.method} ${url.pathname}`;
  if (o.tcp) {
    const peer = req.socket.remoteAddress;
    if (!isPeerAllowed(peer, o.allowFrom)) {
      o.onRefused();
      o.log.write('refused request from a disallowed source', { peer, route });
      throw new PuduError('FORBIDDEN', `source ${peer ?? '?'} is not allowed to talk to this agent`);
    }
  }
  const body = await readBody(req);
  const op = matchAgentRoute(req.method ?? '', url.pathname);
  if (op && agentRoute(op).unsigned) return dispatch(o, op, { url, json: () => ({}) });
  const check = o.verifier.check({
    method: req.method ?? '',
    path: req.url ?? '/',
    body,
    time: header(req, AGENT_SIG_HEADERS.time),
    nonce: header(req, AGENT_SIG_HEADERS.nonce),
    signature: header(req, AGENT_SIG_HEADERS.signature),
  });
  if (!check.ok) {
    o.onRefused();
    o.log.write('refused an unauthenticated request', { route, why: check.why });
    throw new PuduError('UNAUTHORIZED', `request refused: ${check.why === 'missing' ? 'no signature' : check.why}`);
  }
  o.onAuthenticated();
  if (!op) throw new PuduError('NOT_FOUND', `no route ${route}`);
  const json = (): unknown => {
    if (body.trim() === '') return {};
    try {
      return JSON.parse(body);
    } catch (e) {
      throw new PuduError('BAD_REQUEST', `body is not valid JSON: ${(e as Error).message}`);
    }
  };
  return dispatch(o, op, { url, json });
}
