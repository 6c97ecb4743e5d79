/**
 * Typed client for the Pudu REST API, shared by puduc and the web UI. Browser-safe: only
 * `fetch`, `URL` and streams; no Node imports. Types come from @pudu/schema (type-only).
 */
import type {
  AuditEntry, Fleet, FleetCreateRequest, Problem, ReconstructedCommand, RecordingInfo, Role, RunEvent, RunMetrics, RunStatus, ScenarioRunRequest, WhoAmI,
} from '@pudu/schema';
import { PuduApiError } from './api-error.ts';

export interface ClientOptions {
  /** e.g. `http://localhost:8888` (PUDU_SERVER). */
  baseUrl: string;
  /** PUDU_TOKEN. */
  token?: string;
  fetch?: typeof fetch;
  /** Per-request timeout; long operations (fleet create) pass their own. */
  timeoutMs?: number;
}

export interface RunSummary {
  id: string; scenarioId: string; title: string; difficulty: string; state: RunStatus['state'];
  createdAt: string; startedAt: string | null; endedAt: string | null; elapsedMs: number; score: number | null;
  hintsUsed: number; hintsTotal: number; objectivesPassing: number; objectivesTotal: number;
}
export interface LibraryEntry { name: string; id: string; title: string; difficulty: string; architecture: string; tags: string[]; vms: number }
export interface TokenInfo { id: string; name: string; role: Role; runId: string | null; createdAt: string; revokedAt: string | null }
export interface HintResponse { index: number; text: string; hintsUsed: number; hintsTotal: number; hintPenalty: number }

const DEFAULT_TIMEOUT_MS = 30_000;
/** Creating a fleet answers when every VM is ready; boots can take minutes under QEMU/TCG. */
export const FLEET_CREATE_TIMEOUT_MS = 10 * 60_000;

export class PuduClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(o: ClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.token = o.token;
    this.fetchFn = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    return h;
  }

  /** One JSON request; non-2xx answers become PuduApiError with the problem's code. */
  async request<T>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const text = await this.requestText(method, path, { body, timeoutMs });
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** One request whose answer is kept as text (a recording, a report); errors as in request(). */
  async requestText(method: string, path: string, o: { body?: unknown; timeoutMs?: number; accept?: string } = {}): Promise<string> {
    const timeoutMs = o.timeoutMs ?? this.timeoutMs;
    let res: Response;
    try {
      res = await this.fetchFn(this.baseUrl + path, {
        method,
        headers: { ...this.headers(o.body === undefined ? {} : { 'content-type': 'application/json' }), ...(o.accept ? { accept: o.accept } : {}) },
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const why = e instanceof Error ? (e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : e.cause instanceof Error ? e.cause.message : e.message) : String(e);
      throw new PuduApiError(0, 'NETWORK', `cannot reach the Pudu server at ${this.baseUrl}: ${why}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let problem: Problem | null = null;
      try {
        problem = JSON.parse(text) as Problem;
      } catch {
        /* not problem+json: a proxy or a wrong server */
      }
      throw new PuduApiError(res.status, problem?.code ?? `HTTP_${res.status}`, problem?.detail ?? `${method} ${path}: HTTP ${res.status}`, problem);
    }
    return text;
  }

  health() { return this.request<{ status: 'ok'; version: string; driver: string; database: string }>('GET', '/api/v1/health'); }
  whoami() { return this.request<WhoAmI>('GET', '/api/v1/whoami'); }

  listFleets() { return this.request<{ fleets: Fleet[] }>('GET', '/api/v1/fleets').then((r) => r.fleets); }
  createFleet(req: FleetCreateRequest) { return this.request<Fleet>('POST', '/api/v1/fleets', req, FLEET_CREATE_TIMEOUT_MS); }
  getFleet(id: string) { return this.request<Fleet>('GET', `/api/v1/fleets/${encodeURIComponent(id)}`); }
  deleteFleet(id: string) { return this.request<Fleet>('DELETE', `/api/v1/fleets/${encodeURIComponent(id)}`, undefined, FLEET_CREATE_TIMEOUT_MS); }

  listRuns() { return this.request<{ runs: RunSummary[] }>('GET', '/api/v1/scenarios').then((r) => r.runs); }
  runScenario(req: ScenarioRunRequest) { return this.request<{ run: RunStatus; traineeToken: string }>('POST', '/api/v1/scenarios', req); }
  getRun(id: string) { return this.request<RunStatus>('GET', `/api/v1/scenarios/${encodeURIComponent(id)}`); }
  takeHint(id: string) { return this.request<HintResponse>('POST', `/api/v1/scenarios/${encodeURIComponent(id)}/hint`); }
  abortRun(id: string) { return this.request<RunStatus>('POST', `/api/v1/scenarios/${encodeURIComponent(id)}/abort`, undefined, FLEET_CREATE_TIMEOUT_MS); }
  getRunMetrics(id: string) { return this.request<RunMetrics>('GET', `/api/v1/scenarios/${encodeURIComponent(id)}/metrics`); }
  listRunEvents(id: string, after = 0) {
    return this.request<{ events: RunEvent[] }>('GET', `/api/v1/scenarios/${encodeURIComponent(id)}/events?after=${after}`).then((r) => r.events);
  }

  listRecordings(id: string) { return this.request<{ recordings: RecordingInfo[]; budgetBytes: number; usedBytes: number }>('GET', `/api/v1/scenarios/${encodeURIComponent(id)}/recordings`); }
  /** The asciicast v2 text of one session. */
  getRecording(id: string, session: string) {
    return this.requestText('GET', `/api/v1/scenarios/${encodeURIComponent(id)}/recordings/${encodeURIComponent(session)}`, { accept: 'application/x-asciicast' });
  }
  listRunCommands(id: string) { return this.request<{ commands: ReconstructedCommand[]; caveats: string[] }>('GET', `/api/v1/scenarios/${encodeURIComponent(id)}/commands`); }

  listLibrary() { return this.request<{ scenarios: LibraryEntry[] }>('GET', '/api/v1/library').then((r) => r.scenarios); }
  getLibraryScenario(name: string) { return this.request<LibraryEntry & { yaml: string }>('GET', `/api/v1/library/${encodeURIComponent(name)}`); }

  listTokens() { return this.request<{ tokens: TokenInfo[] }>('GET', '/api/v1/tokens').then((r) => r.tokens); }
  createToken(req: { role: Role; name?: string; runId?: string }) { return this.request<TokenInfo & { token: string }>('POST', '/api/v1/tokens', req); }
  revokeToken(id: string) { return this.request<TokenInfo>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`); }
  listAudit(limit = 100) { return this.request<{ entries: AuditEntry[] }>('GET', `/api/v1/audit?limit=${limit}`).then((r) => r.entries); }

  /**
   * Follows a run's events over SSE (fetch streaming, works in browsers and Node) until
   * `signal` aborts or the server closes the stream. Returns the last seq seen, to resume.
   */
  async streamRunEvents(id: string, onEvent: (e: RunEvent) => void, opts: { after?: number; signal?: AbortSignal } = {}): Promise<number> {
    let last = opts.after ?? 0;
    const res = await this.fetchFn(`${this.baseUrl}/api/v1/scenarios/${encodeURIComponent(id)}/events?after=${last}`, {
      headers: this.headers({ accept: 'text/event-stream' }),
      signal: opts.signal,
    }).catch((e: unknown) => {
      throw new PuduApiError(0, 'NETWORK', `cannot reach the Pudu server at ${this.baseUrl}: ${e instanceof Error ? e.message : String(e)}`);
    });
    if (!res.ok || !res.body) {
      const problem = (await res.json().catch(() => null)) as Problem | null;
      throw new PuduApiError(res.status, problem?.code ?? `HTTP_${res.status}`, problem?.detail ?? `event stream: HTTP ${res.status}`, problem);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return last;
        buf += value;
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (!data) continue;
          const ev = JSON.parse(data) as RunEvent;
          last = ev.seq;
          onEvent(ev);
        }
      }
    } catch (e) {
      if (opts.signal?.aborted) return last;
      throw e;
    }
  }

  /** The terminal WebSocket URL for VM N (token goes in the subprotocol, not the URL). */
  terminalUrl(vmIndex: number, size?: { cols: number; rows: number }): string {
    const u = new URL(`${this.baseUrl}/ws`);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('vm', String(vmIndex));
    if (size) {
      u.searchParams.set('cols', String(size.cols));
      u.searchParams.set('rows', String(size.rows));
    }
    return u.toString();
  }

  /** The WebSocket subprotocol that carries the token (browsers cannot set headers). */
  terminalProtocols(): string[] {
    return this.token ? [`pudu.token.${this.token}`] : [];
  }
}
