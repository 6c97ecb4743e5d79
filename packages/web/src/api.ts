// The browser's HTTP client for /api/v1: bearer token on every request, problem+json
// errors surfaced with their stable code, and the run's event stream read with fetch
// (EventSource cannot send an Authorization header).
import type { Fleet, Identity, IssuedToken, LibraryEntry, Role, RunEvent, RunStatus, RunSummary, VmMetrics } from './model.ts';
import {
  normaliseEvent, normaliseFleet, normaliseIssuedToken, normaliseLibraryEntry, normaliseMetrics, normaliseRole,
  normaliseRunStatus, normaliseRunSummary,
} from './normalise.ts';

/** Every path the UI calls, in one place (the seed's /api/v1 layout). */
export const PATHS = {
  whoami: '/api/v1/whoami',
  library: '/api/v1/library',
  fleets: '/api/v1/fleets',
  runs: '/api/v1/scenarios',
  run: (id: string) => `/api/v1/scenarios/${encodeURIComponent(id)}`,
  hint: (id: string) => `/api/v1/scenarios/${encodeURIComponent(id)}/hint`,
  abort: (id: string) => `/api/v1/scenarios/${encodeURIComponent(id)}/abort`,
  events: (id: string) => `/api/v1/scenarios/${encodeURIComponent(id)}/events`,
  metrics: (id: string) => `/api/v1/scenarios/${encodeURIComponent(id)}/metrics`,
  tokens: '/api/v1/tokens',
} as const;

/** An API error with the server's stable `code` (problem+json) and HTTP status. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function list(body: unknown, ...keys: string[]): unknown[] {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object') {
    for (const k of keys) {
      const v = (body as Record<string, unknown>)[k];
      if (Array.isArray(v)) return v;
    }
  }
  return [];
}

export class Api {
  /** Called once when the server answers 401 (token revoked or expired). */
  onUnauthorized: (() => void) | null = null;

  constructor(
    readonly token: string,
    private readonly origin: string = location.origin,
  ) {}

  /** Sends one request; throws ApiError on a non-2xx answer or a network failure. */
  async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.origin + path, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json, application/problem+json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal: signal ?? null,
        cache: 'no-store',
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'NETWORK', `cannot reach the Pudu server (${method} ${path})`);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (res.status === 401 && this.onUnauthorized) {
      const handler = this.onUnauthorized;
      this.onUnauthorized = null;
      handler();
    }
    if (!res.ok) {
      const p = (json ?? {}) as Record<string, unknown>;
      const code = typeof p.code === 'string' ? p.code : `HTTP_${res.status}`;
      const msg = typeof p.detail === 'string' ? p.detail : typeof p.title === 'string' ? p.title : typeof p.message === 'string' ? p.message : `${method} ${path}: HTTP ${res.status}`;
      throw new ApiError(res.status, code, msg, p.errors ?? p.details);
    }
    return json;
  }

  /** Who this token is. Falls back to probing when the server has no whoami route. */
  async whoami(): Promise<Identity> {
    try {
      const o = (await this.request('GET', PATHS.whoami)) as Record<string, unknown>;
      const runId = o.run_id ?? o.runId ?? o.run ?? null;
      return {
        role: normaliseRole(o.role),
        name: typeof o.name === 'string' ? o.name : String(o.role ?? 'user'),
        runId: typeof runId === 'string' ? runId : null,
      };
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
    }
    await this.request('GET', PATHS.runs);
    return { role: 'instructor', name: 'token', runId: null };
  }

  async library(): Promise<LibraryEntry[]> {
    return list(await this.request('GET', PATHS.library), 'scenarios', 'items', 'library').map(normaliseLibraryEntry);
  }

  async fleets(): Promise<Fleet[]> {
    return list(await this.request('GET', PATHS.fleets), 'fleets', 'items').map(normaliseFleet);
  }

  async runs(): Promise<RunSummary[]> {
    return list(await this.request('GET', PATHS.runs), 'runs', 'items', 'scenarios').map(normaliseRunSummary);
  }

  async run(id: string, signal?: AbortSignal): Promise<RunStatus> {
    return normaliseRunStatus(await this.request('GET', PATHS.run(id), undefined, signal));
  }

  /**
   * Starts a scenario — from the server's library by name, or from YAML text the user
   * picked (with its file name for error locations); the answer carries a trainee token.
   */
  async startRun(source: { name: string } | { yaml: string; file: string }): Promise<{ run: RunSummary; traineeToken: string | null }> {
    const o = (await this.request('POST', PATHS.runs, source)) as Record<string, unknown>;
    const token = o.traineeToken ?? o.trainee_token;
    return { run: normaliseRunSummary(o.run ?? o), traineeToken: typeof token === 'string' ? token : null };
  }

  /** Every stored event of a run (the JSON form of the events route). */
  async events(id: string): Promise<RunEvent[]> {
    return list(await this.request('GET', PATHS.events(id)), 'events', 'items').map((e, i) => normaliseEvent(e, i + 1));
  }

  /** The latest agent metrics of each of a run's VMs. */
  async vmMetrics(id: string, signal?: AbortSignal): Promise<{ vm: string; metrics: VmMetrics }[]> {
    const out: { vm: string; metrics: VmMetrics }[] = [];
    for (const item of list(await this.request('GET', PATHS.metrics(id), undefined, signal), 'vms', 'items')) {
      const o = (item ?? {}) as Record<string, unknown>;
      const vm = typeof o.vm === 'string' ? o.vm : typeof o.name === 'string' ? o.name : null;
      const metrics = normaliseMetrics(o.metrics ?? o);
      if (vm && metrics) out.push({ vm, metrics });
    }
    return out;
  }

  async hint(id: string): Promise<{ text: string; penalty: number | null }> {
    const o = (await this.request('POST', PATHS.hint(id), {})) as Record<string, unknown>;
    const h = (o.hint && typeof o.hint === 'object' ? o.hint : o) as Record<string, unknown>;
    const text = typeof h.text === 'string' ? h.text : typeof o.hint === 'string' ? o.hint : '';
    const penalty = typeof o.hintPenalty === 'number' ? o.hintPenalty : typeof o.penalty === 'number' ? o.penalty : null;
    return { text, penalty };
  }

  async abort(id: string): Promise<void> {
    await this.request('POST', PATHS.abort(id), {});
  }

  /** Issues a token for a role; a trainee token is scoped to one run. */
  async issueToken(role: Role, runId: string | null, name?: string): Promise<IssuedToken> {
    const body: Record<string, unknown> = { role };
    if (runId) body.runId = runId;
    if (name) body.name = name;
    return normaliseIssuedToken(await this.request('POST', PATHS.tokens, body));
  }

  /**
   * Streams a run's events (SSE over fetch) until `signal` aborts; calls `onEvent` per
   * event. Resolves when the stream ends; the caller decides whether to reconnect.
   */
  async streamEvents(id: string, onEvent: (e: RunEvent) => void, signal: AbortSignal, lastSeq = 0): Promise<void> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' };
    if (lastSeq > 0) headers['last-event-id'] = String(lastSeq);
    const query = lastSeq > 0 ? `?after=${lastSeq}` : '';
    const res = await fetch(this.origin + PATHS.events(id) + query, { headers, signal, cache: 'no-store' });
    if (!res.ok || !res.body) throw new ApiError(res.status, `HTTP_${res.status}`, `event stream: HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let seq = lastSeq;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let data = '';
        let type = '';
        let idField = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(5).trimStart();
          else if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('id:')) idField = line.slice(3).trim();
        }
        if (!data) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(data);
        } catch {
          continue;
        }
        const p = parsed && typeof parsed === 'object' ? parsed as Record<string, unknown> : { value: parsed };
        seq = typeof p.seq === 'number' ? p.seq : Number(idField) || seq + 1;
        onEvent(normaliseEvent(type && !p.type && !p.kind ? { ...p, kind: type } : p, seq));
      }
    }
  }
}
