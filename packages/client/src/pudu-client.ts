/**
 * Typed client for the Pudu HTTP API, shared by puduc and the web UI. Every URL comes from
 * the schema's route table (`apiPath`), every body type from its zod schemas, and every
 * answer is checked against the route's response schema, so the server, the CLI and the
 * browser cannot drift apart. Browser-safe: only `fetch`, `URL` and streams.
 */
import {
  apiPath, apiRoute, ProblemSchema,
  type ApiOperationId, type ApiRoute, type JsonOperationId, type MediaOperationId, type Problem, type RouteBody, type RouteParams, type RouteQuery, type RouteResponse,
  type RunEvent, type TerminalQuery,
} from '@pudu/schema';
import { PuduApiError, problemCode } from './api-error.ts';
import { readRunEvents } from './event-stream.ts';

export interface ClientOptions {
  /** e.g. `http://localhost:8888` (PUDU_SERVER); the page's origin in a browser. */
  baseUrl: string;
  /** PUDU_TOKEN. */
  token?: string;
  fetch?: typeof fetch;
  /** Per-request timeout; long operations (fleet create) pass their own. */
  timeoutMs?: number;
  /** Called once when the server answers 401 (the token was revoked or has expired). */
  onUnauthorized?: () => void;
}

/** What a call sends: path parameters, query and body, each only where the route has one. */
export type CallInput<K extends ApiOperationId> =
  (RouteParams<K> extends undefined ? { params?: undefined } : { params: RouteParams<K> }) &
  (RouteQuery<K> extends undefined ? { query?: undefined } : { query?: RouteQuery<K> }) &
  (RouteBody<K> extends undefined ? { body?: undefined } : { body: RouteBody<K> });

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Creating a fleet answers when every VM is ready; boots can take minutes under QEMU/TCG. */
export const FLEET_CREATE_TIMEOUT_MS = 10 * 60_000;

function describeFetchError(e: unknown, timeoutMs: number): string {
  if (!(e instanceof Error)) return String(e);
  if (e.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  return e.cause instanceof Error ? e.cause.message : e.message;
}

function isAbort(e: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && e instanceof Error && e.name === 'AbortError';
}

export class PuduClient {
  readonly baseUrl: string;
  readonly token: string | undefined;
  onUnauthorized: (() => void) | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(o: ClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.token = o.token;
    this.fetchFn = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.onUnauthorized = o.onUnauthorized;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json, application/problem+json', ...extra };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    return h;
  }

  private unreachable(e: unknown, timeoutMs: number): PuduApiError {
    return new PuduApiError(0, 'SERVER_UNREACHABLE', `cannot reach the Pudu server at ${this.baseUrl}: ${describeFetchError(e, timeoutMs)}`);
  }

  /** Turns a non-2xx answer into a PuduApiError with the problem's code. */
  private async failure(res: Response, what: string): Promise<PuduApiError> {
    if (res.status === 401 && this.onUnauthorized) {
      const handler = this.onUnauthorized;
      this.onUnauthorized = undefined;
      handler();
    }
    const text = await res.text().catch(() => '');
    let problem: Problem | null = null;
    try {
      problem = ProblemSchema.parse(JSON.parse(text));
    } catch {
      /* not problem+json: a proxy or another server answered */
    }
    if (!problem) return new PuduApiError(res.status, 'BAD_RESPONSE', `${what}: HTTP ${res.status} without a problem+json body`);
    return new PuduApiError(res.status, problemCode(problem.code), problem.detail, problem);
  }

  /** One request to a JSON route; the answer is checked against the route's response schema. */
  async call<K extends JsonOperationId>(operationId: K, input: CallInput<K>, opts: CallOptions = {}): Promise<RouteResponse<K>> {
    const route: ApiRoute = apiRoute(operationId);
    const path = apiPath(operationId, input.params as Record<string, string>, input.query as Record<string, string>);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await this.fetchFn(this.baseUrl + path, {
        method: route.method,
        headers: this.headers(input.body === undefined ? {} : { 'content-type': 'application/json' }),
        body: input.body === undefined ? undefined : JSON.stringify(input.body),
        signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
      });
    } catch (e) {
      if (isAbort(e, opts.signal)) throw e;
      throw this.unreachable(e, timeoutMs);
    }
    if (!res.ok) throw await this.failure(res, `${route.method} ${path}`);
    const text = await res.text();
    if (!route.response) return undefined as RouteResponse<K>;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new PuduApiError(res.status, 'BAD_RESPONSE', `${route.method} ${path}: the answer is not JSON`);
    }
    const parsed = route.response.safeParse(body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new PuduApiError(res.status, 'BAD_RESPONSE', `${route.method} ${path}: the answer does not match the API contract (${first?.path.join('.') || 'body'}: ${first?.message ?? 'invalid'})`);
    }
    return parsed.data as RouteResponse<K>;
  }

  health() { return this.call('health', {}); }
  whoami() { return this.call('whoami', {}); }

  listFleets() { return this.call('listFleets', {}).then((r) => r.fleets); }
  createFleet(body: RouteBody<'createFleet'>) { return this.call('createFleet', { body }, { timeoutMs: FLEET_CREATE_TIMEOUT_MS }); }
  getFleet(id: string) { return this.call('getFleet', { params: { id } }); }
  deleteFleet(id: string) { return this.call('deleteFleet', { params: { id } }, { timeoutMs: FLEET_CREATE_TIMEOUT_MS }); }

  listRuns() { return this.call('listRuns', {}).then((r) => r.runs); }
  runScenario(body: RouteBody<'runScenario'>) { return this.call('runScenario', { body }); }
  getRun(id: string, opts?: CallOptions) { return this.call('getRun', { params: { id } }, opts); }
  takeHint(id: string) { return this.call('takeHint', { params: { id } }); }
  answerRootCause(id: string, answer: number | string) { return this.call('answerRootCause', { params: { id }, body: { answer } }); }
  endReview(id: string) { return this.call('endReview', { params: { id } }, { timeoutMs: FLEET_CREATE_TIMEOUT_MS }); }
  abortRun(id: string) { return this.call('abortRun', { params: { id } }, { timeoutMs: FLEET_CREATE_TIMEOUT_MS }); }
  getRunMetrics(id: string, opts?: CallOptions) { return this.call('getRunMetrics', { params: { id } }, opts); }
  listRunEvents(id: string, after = 0) { return this.call('listRunEvents', { params: { id }, query: { after } }).then((r) => r.events); }

  listRecordings(id: string) { return this.call('listRecordings', { params: { id } }); }
  /** The asciicast v2 text of one session. */
  getRecording(id: string, session: string) { return this.text('getRecording', { params: { id, session } }, 'application/x-asciicast'); }
  listRunCommands(id: string) { return this.call('listRunCommands', { params: { id } }); }
  getRunHistory(id: string) { return this.call('getRunHistory', { params: { id } }); }
  getRunReport(id: string) { return this.call('getRunReport', { params: { id }, query: { format: 'json' } }); }
  /** The post-mortem as Markdown or one printable HTML page. */
  getRunReportText(id: string, format: 'markdown' | 'html') { return this.text('getRunReport', { params: { id }, query: { format } }, format === 'html' ? 'text/html' : 'text/markdown'); }
  getRunNotes(id: string) { return this.call('getRunNotes', { params: { id } }); }
  updateRunNotes(id: string, body: RouteBody<'updateRunNotes'>) { return this.call('updateRunNotes', { params: { id }, body }); }
  deleteRun(id: string) { return this.call('deleteRun', { params: { id } }); }
  listGameDays() { return this.call('listGameDays', {}).then((r) => r.gamedays); }
  createGameDay(body: RouteBody<'createGameDay'>) { return this.call('createGameDay', { body }); }
  getGameDay(id: string) { return this.call('getGameDay', { params: { id } }); }
  startGameDay(id: string) { return this.call('startGameDay', { params: { id } }, { timeoutMs: FLEET_CREATE_TIMEOUT_MS }); }
  joinGameDay(id: string, code: string) { return this.call('joinGameDay', { params: { id }, body: { code } }); }
  getLeaderboard(id: string) { return this.call('getLeaderboard', { params: { id }, query: { format: 'json' } }); }
  getLeaderboardCsv(id: string) { return this.text('getLeaderboard', { params: { id }, query: { format: 'csv' } }, 'text/csv'); }
  listWebhooks() { return this.call('listWebhooks', {}); }
  createWebhook(body: RouteBody<'createWebhook'>) { return this.call('createWebhook', { body }); }
  deleteWebhook(id: string) { return this.call('deleteWebhook', { params: { id } }); }

  listLibrary() { return this.call('listLibrary', {}).then((r) => r.scenarios); }
  getLibraryScenario(name: string) { return this.call('getLibraryScenario', { params: { name } }); }

  listTokens() { return this.call('listTokens', {}).then((r) => r.tokens); }
  createToken(body: RouteBody<'createToken'>) { return this.call('createToken', { body }); }
  revokeToken(id: string) { return this.call('revokeToken', { params: { id } }); }
  listAudit(limit = 100) { return this.call('listAudit', { query: { limit } }).then((r) => r.entries); }

  getOpenApi() { return this.call('getOpenApi', {}); }
  getScenarioSchema() { return this.call('getScenarioSchema', {}); }

  /** The text answer of a non-JSON route (metrics, a recording, a report) in one of its media types. */
  async text<K extends MediaOperationId>(operationId: K, input: CallInput<K>, accept: string, opts: CallOptions = {}): Promise<string> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const path = apiPath(operationId, input.params as Record<string, string>, input.query as Record<string, string>);
    let res: Response;
    try {
      res = await this.fetchFn(this.baseUrl + path, { headers: this.headers({ accept: `${accept}, application/problem+json` }), signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw this.unreachable(e, timeoutMs);
    }
    if (!res.ok) throw await this.failure(res, `GET ${path}`);
    return res.text();
  }

  /** Prometheus text from the server's metrics route (staff tokens). */
  metricsText() { return this.text('metrics', {}, 'text/plain'); }

  /**
   * Follows a run's events over SSE (fetch streaming: works in browsers and Node, and can
   * send the token, which EventSource cannot) until `signal` aborts or the server closes
   * the stream. Resumes after `after`. Returns the last seq seen, to resume from.
   */
  async streamRunEvents(id: string, onEvent: (e: RunEvent) => void, opts: { after?: number; signal?: AbortSignal } = {}): Promise<number> {
    const after = opts.after ?? 0;
    const path = apiPath('listRunEvents', { id }, { after: after > 0 ? after : undefined });
    const headers = this.headers({ accept: 'text/event-stream' });
    if (after > 0) headers['last-event-id'] = String(after);
    let res: Response;
    try {
      res = await this.fetchFn(this.baseUrl + path, { headers, signal: opts.signal });
    } catch (e) {
      if (opts.signal?.aborted) return after;
      throw this.unreachable(e, this.timeoutMs);
    }
    if (!res.ok) throw await this.failure(res, `event stream of run ${id}`);
    if (!res.body) throw new PuduApiError(res.status, 'BAD_RESPONSE', `event stream of run ${id}: no body`);
    let last = after;
    try {
      await readRunEvents(res.body, after, (e) => {
        last = e.seq;
        onEvent(e);
      });
    } catch (e) {
      if (!opts.signal?.aborted) throw e;
    }
    return last;
  }

  /** The terminal WebSocket URL for VM N (the token goes in the subprotocol, never the URL). */
  terminalUrl(vmIndex: number, opts: { cols?: number; rows?: number; readOnly?: boolean; session?: string } = {}): string {
    const query: TerminalQuery = { vm: vmIndex, cols: opts.cols, rows: opts.rows, mode: opts.readOnly ? 'readonly' : undefined, session: opts.session };
    const u = new URL(this.baseUrl + apiPath('terminal', {}, query as Record<string, string | number | undefined>));
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.toString();
  }

  /** The WebSocket subprotocol that carries the token (browsers cannot set headers). */
  terminalProtocols(): string[] {
    return this.token ? [`pudu.token.${this.token}`] : [];
  }
}
