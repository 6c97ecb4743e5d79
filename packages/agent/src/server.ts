import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AgentFaultStopRequestSchema, isPuduError, PuduError, type AgentErrorBody } from '@pudu/schema';
import { checkBearer, isPeerAllowed, type Cidr } from './access.ts';
import type { FaultManager } from './fault-manager.ts';
import { renderPrometheus, type MetricsSampler } from './metrics.ts';
import { listServices } from './services.ts';

const MAX_BODY_BYTES = 64 * 1024;

export interface AgentServerOptions {
  faults: FaultManager;
  metrics: MetricsSampler;
  tokenDigest: Buffer;
  allowFrom: readonly Cidr[];
  version: string;
  startedAt: number;
  deadmanMs: number;
  /** Called on every authenticated request: it feeds the dead-man switch. */
  onAuthenticated: () => void;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body) : String(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = isPuduError(e) ? e : new PuduError('INTERNAL', (e as Error)?.message ?? String(e));
  const body: AgentErrorBody = { error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } };
  send(res, err.status, body);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new PuduError('INPUT_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(new PuduError('BAD_REQUEST', `body is not valid JSON: ${(e as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

/**
 * The agent's HTTP API (the seed's routes). Only parsing and access control live here;
 * every action goes to the FaultManager. Order of checks: source address, then token.
 */
export function createAgentServer(o: AgentServerOptions): Server {
  return createServer((req, res) => {
    void handle(o, req, res).catch((e) => sendError(res, e));
  });
}

async function handle(o: AgentServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent');
  const route = `${req.method} ${url.pathname}`;
  const peer = req.socket.remoteAddress;
  if (!isPeerAllowed(peer, o.allowFrom)) {
    o.log('refused request from a disallowed source', { peer, route });
    return sendError(res, new PuduError('FORBIDDEN', `source ${peer ?? '?'} is not allowed to talk to this agent`));
  }
  if (route === 'GET /health') {
    return send(res, 200, { status: 'ok', version: o.version, uptime_s: Math.round((Date.now() - o.startedAt) / 1000) });
  }
  if (!checkBearer(req.headers.authorization, o.tokenDigest)) {
    o.log('refused request without a valid token', { peer, route });
    res.setHeader('www-authenticate', 'Bearer');
    return sendError(res, new PuduError('UNAUTHORIZED', 'missing or wrong bearer token'));
  }
  o.onAuthenticated();
  switch (route) {
    case 'GET /metrics': {
      const m = o.metrics.read();
      if (url.searchParams.get('format') === 'prometheus') return send(res, 200, renderPrometheus(m, o.faults.countByState()), 'text/plain; version=0.0.4');
      return send(res, 200, m);
    }
    case 'POST /fault/start':
      return send(res, 201, await o.faults.start(await readJson(req)));
    case 'POST /fault/stop': {
      const body = AgentFaultStopRequestSchema.safeParse(await readJson(req));
      if (!body.success) throw new PuduError('FAULT_INVALID', `body: ${body.error.issues.map((i) => `${i.path.join('.') || 'id'}: ${i.message}`).join('; ')}`);
      return send(res, 200, await o.faults.stop(body.data.id));
    }
    case 'GET /faults':
      return send(res, 200, { faults: o.faults.list() });
    case 'GET /services':
      return send(res, 200, await listServices());
    case 'POST /heartbeat':
      return send(res, 200, { status: 'ok', deadman_ms: o.deadmanMs, active_faults: o.faults.activeCount() });
    default:
      throw new PuduError('NOT_FOUND', `no route ${route}`);
  }
}
