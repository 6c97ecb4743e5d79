import {
  AgentErrorBodySchema,
  AgentIdentitySchema,
  AGENT_SIG_HEADERS,
  agentPath,
  agentRoute,
  type AgentOp,
  type AgentRouteBody,
  type AgentRouteQuery,
  type AgentRouteResponse,
  isPuduError,
  PuduError,
  type AgentIdentity,
  type AgentLogResponse,
  type AgentHistoryRequest,
  type AgentHistoryResponse,
  type AgentFaultListResponse,
  type AgentFaultPlan,
  type AgentFaultRecord,
  type AgentFaultStartRequest,
  type AgentHealthResponse,
  type AgentHeartbeatResponse,
  type AgentMetricsResponse,
  type AgentServicesResponse,
  isErrorCode,
} from '@pudu/schema';
import type { KeyObject } from 'node:crypto';
import { request, type RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import { instanceIdOf, privateKeyFromPem, signAgentRequest, verifyAgentReply } from './signing.ts';
import { describeEndpoint, openAgentStream, type AgentEndpoint } from './transport.ts';

export interface AgentClientOptions {
  /** Where the agent is (see transport.ts). */
  endpoint: AgentEndpoint;
  /** The fleet's Ed25519 private key (PEM or key object): every request but /health is signed with it. */
  signingKey: KeyObject | string;
  /** `<fleet>/<vm>`: the agent refuses requests signed for another VM. */
  audience: string;
  /** Per-request timeout (default 5 s; fault start gets 4× as much: a disk fill takes time). */
  timeoutMs?: number;
  /** Runs before each connection (e.g. the route check of a TCP endpoint). */
  beforeConnect?: () => Promise<void>;
  /** Sees who answered each call (authenticated replies only). */
  onReply?: (identity: AgentIdentity) => void;
}

export interface AgentClient {
  health(): Promise<AgentHealthResponse>;
  metrics(): Promise<AgentMetricsResponse>;
  metricsPrometheus(): Promise<string>;
  /** Pre-flight: could this fault be applied and reverted here? Changes nothing. */
  planFault(req: AgentFaultStartRequest): Promise<AgentFaultPlan>;
  startFault(req: AgentFaultStartRequest): Promise<AgentFaultRecord>;
  stopFault(id: string): Promise<AgentFaultRecord>;
  listFaults(): Promise<AgentFaultListResponse>;
  services(): Promise<AgentServicesResponse>;
  heartbeat(): Promise<AgentHeartbeatResponse>;
  log(since?: number): Promise<AgentLogResponse>;
  /** Writes the VM's past once (history-spec.ts); a second call writes nothing and says so. */
  writeHistory(req: AgentHistoryRequest): Promise<AgentHistoryResponse>;
  /** The identity of the last authenticated reply (undefined before the first). */
  lastIdentity(): AgentIdentity | undefined;
}

const DEFAULT_TIMEOUT_MS = 5000;

interface RawReply {
  status: number;
  text: string;
  identity: AgentIdentity;
}

/**
 * One HTTP exchange over a fresh stream. The reply must carry an identity and a signature
 * by that identity's key over our nonce, the status and the body: anything else answered
 * (a fake agent, a replayed reply, a proxy that changed a byte) → AGENT_REPLY_UNAUTHENTICATED.
 */
function exchange(opts: AgentClientOptions, key: KeyObject, method: string, path: string, body: string | undefined, timeoutMs: number): Promise<RawReply> {
  const where = describeEndpoint(opts.endpoint);
  const payload = body ?? '';
  const sig = signAgentRequest(key, { method, path, audience: opts.audience, body: payload });
  return new Promise((resolve, reject) => {
    const req = request({
      method,
      path,
      host: 'agent',
      headers: {
        [AGENT_SIG_HEADERS.time]: sig.time,
        [AGENT_SIG_HEADERS.nonce]: sig.nonce,
        [AGENT_SIG_HEADERS.signature]: sig.signature,
        connection: 'close',
        ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
      },
      createConnection: (_o: unknown, cb: (err: Error | null, s?: Socket) => void) => {
        // A Duplex that is not a net.Socket (an exec stream) serves node:http as well.
        openAgentStream(opts.endpoint).then((s) => cb(null, s as Socket), (e: Error) => cb(e));
        return undefined;
      },
      timeout: timeoutMs,
    } as RequestOptions);
    const timer = setTimeout(() => req.destroy(new PuduError('AGENT_UNREACHABLE', `agent ${where}: ${method} ${path}: no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(isPuduError(e) ? e : new PuduError('AGENT_UNREACHABLE', `agent ${where}: ${method} ${path}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(new PuduError('AGENT_UNREACHABLE', `agent ${where}: ${method} ${path}: ${e.message}`));
      });
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        const identityB64 = res.headers[AGENT_SIG_HEADERS.identity];
        const signature = res.headers[AGENT_SIG_HEADERS.replySignature];
        const unauth = (why: string): void => reject(new PuduError('AGENT_REPLY_UNAUTHENTICATED', `agent ${where}: ${method} ${path}: ${why}`, { status }));
        if (typeof identityB64 !== 'string' || typeof signature !== 'string') return unauth('the reply carries no agent identity or signature');
        let identity: AgentIdentity;
        try {
          identity = AgentIdentitySchema.parse(JSON.parse(Buffer.from(identityB64, 'base64url').toString('utf8')));
        } catch {
          return unauth('the reply\'s agent identity is malformed');
        }
        if (instanceIdOf(identity.key) !== identity.instance_id) return unauth('the reply\'s instance id does not match its key');
        if (!verifyAgentReply(identity.key, signature, { nonce: sig.nonce, status, identityB64, body: text })) return unauth('the reply\'s signature does not verify');
        resolve({ status, text, identity });
      });
    });
    req.end(payload);
  });
}

/**
 * A typed client for one pudu-agent. Transport failures and timeouts throw
 * PuduError('AGENT_UNREACHABLE'), a reply that fails authentication
 * AGENT_REPLY_UNAUTHENTICATED, 401 AGENT_AUTH, other agent errors (problem+json, RFC 9457)
 * keep the agent's own code (FAULT_INVALID, FAULT_CONFLICT, FAULT_NOT_FOUND, …) and detail.
 */
export function createAgentClient(opts: AgentClientOptions): AgentClient {
  const where = describeEndpoint(opts.endpoint);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const key = typeof opts.signingKey === 'string' ? privateKeyFromPem(opts.signingKey) : opts.signingKey;
  let last: AgentIdentity | undefined;

  async function send(op: AgentOp, input: { body?: unknown; query?: Record<string, string | number | undefined> }): Promise<{ r: RawReply; json: unknown; path: string }> {
    const route = agentRoute(op);
    const path = agentPath(op, input.query);
    await opts.beforeConnect?.();
    const r = await exchange(opts, key, route.method, path, input.body === undefined ? undefined : JSON.stringify(input.body), timeoutMs * (route.slow ?? 1));
    last = r.identity;
    opts.onReply?.(r.identity);
    let json: unknown;
    try {
      json = r.text === '' ? undefined : JSON.parse(r.text);
    } catch {
      json = undefined;
    }
    if (r.status === 401) throw new PuduError('AGENT_AUTH', `agent ${where} refused the request's signature (401)`);
    if (r.status < 200 || r.status > 299) {
      const problem = AgentErrorBodySchema.safeParse(json);
      if (problem.success) {
        const { code, detail, errors } = problem.data;
        throw new PuduError(isErrorCode(code) ? code : 'INTERNAL', `agent ${where}: ${detail}`, errors ? { errors } : undefined);
      }
      throw new PuduError('AGENT_UNREACHABLE', `agent ${where}: ${route.method} ${path} answered ${r.status}: ${r.text.slice(0, 200)}`);
    }
    return { r, json, path };
  }

  /** One call of the route table's `op`; the answer is checked against the route's response schema. */
  async function call<K extends AgentOp>(op: K, input: { body?: AgentRouteBody<K>; query?: AgentRouteQuery<K> } = {}): Promise<AgentRouteResponse<K>> {
    const { json, path } = await send(op, input as { body?: unknown; query?: Record<string, string | number | undefined> });
    const parsed = agentRoute(op).response.safeParse(json);
    if (!parsed.success) throw new PuduError('AGENT_UNREACHABLE', `agent ${where}: ${agentRoute(op).method} ${path}: unexpected answer: ${parsed.error.message}`);
    return parsed.data as AgentRouteResponse<K>;
  }

  return {
    health: () => call('health'),
    metrics: () => call('metrics'),
    metricsPrometheus: async () => (await send('metrics', { query: { format: 'prometheus' } })).r.text,
    planFault: (req) => call('planFault', { body: req }),
    startFault: (req) => call('startFault', { body: req }),
    stopFault: (id) => call('stopFault', { body: { id } }),
    listFaults: () => call('listFaults'),
    services: () => call('services'),
    heartbeat: () => call('heartbeat'),
    log: (since = 0) => call('log', { query: { since } }),
    writeHistory: (req) => call('writeHistory', { body: req }),
    lastIdentity: () => last,
  };
}
