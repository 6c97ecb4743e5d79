/**
 * The HTTP API's route table: path, method, who may call it, and the zod schemas of its
 * parameters and bodies. It is the one place a route is declared: the server registers
 * its handlers from it, the OpenAPI document is generated from it, and @pudu/client (so
 * puduc and the web UI) builds every URL with {@link apiPath}. No other file spells a path.
 * How to add a route: /work/team/notes/contracts-howto.md and docs/ARCHITECTURE.md.
 */
import type { z } from 'zod';
import * as api from './api.ts';
import * as learning from './api-learning.ts';
import * as gov from './api-governance.ts';
import * as halt from './api-halt.ts';
import type { Role } from './api.ts';
import { withQuery } from './route-path.ts';

export interface ApiRoute {
  operationId: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI-style path: `/api/v1/fleets/{id}`. */
  path: string;
  summary: string;
  tag: string;
  /** Roles allowed (trainees are further limited to their own run by the handler), or `public`: no token needed. */
  roles: readonly Role[] | 'public';
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Success status and body. */
  status: number;
  response?: z.ZodType;
  /** Media type of the JSON `response` when it is not `application/json`. */
  contentType?: 'application/schema+json';
  /** Also answers `text/event-stream` (a live SSE stream) when the client asks for it. */
  sse?: boolean;
  /** Other media types the success answer may have (type → description), e.g. a recording, a report, metrics text. */
  media?: Readonly<Record<string, string>>;
  /** A WebSocket upgrade (status 101), served by the HTTP server's upgrade handler. */
  websocket?: boolean;
  /** Other statuses answered with the success body (readyz: 503 when not ready). */
  alsoStatuses?: number[];
  /** Errors this route can answer besides 401/403/500 (all are problem+json). */
  errors?: number[];
}

const ALL: readonly Role[] = ['admin', 'instructor', 'engineer', 'trainee', 'observer'];
const STAFF: readonly Role[] = ['admin', 'instructor', 'engineer', 'observer'];
/** May start things; what they may start is the policy's decision. */
const OPERATORS: readonly Role[] = ['admin', 'instructor', 'engineer'];
const ADMIN: readonly Role[] = ['admin'];

export const API_ROUTES = [
  { operationId: 'health', method: 'GET', path: '/api/v1/health', summary: 'Server health and version', tag: 'system', roles: ALL, status: 200, response: api.HealthSchema },
  { operationId: 'whoami', method: 'GET', path: '/api/v1/whoami', summary: 'The caller\'s token identity', tag: 'system', roles: ALL, status: 200, response: api.WhoAmISchema },
  { operationId: 'healthz', method: 'GET', path: '/healthz', summary: 'Liveness for load balancers and service managers: the process answers', tag: 'system', roles: 'public', status: 200, response: api.LivenessSchema },
  { operationId: 'readyz', method: 'GET', path: '/readyz', summary: 'Readiness: the store and the driver answer and a VM can still be started (503 with the failing check otherwise)', tag: 'system', roles: 'public', status: 200, response: api.ReadinessSchema, alsoStatuses: [503] },
  { operationId: 'getOpenApi', method: 'GET', path: '/api/v1/openapi.json', summary: 'This API as an OpenAPI 3.1 document', tag: 'system', roles: 'public', status: 200, response: api.JsonDocumentSchema },
  { operationId: 'getScenarioSchema', method: 'GET', path: '/api/v1/schemas/scenario.json', summary: 'The scenario file format as a JSON Schema (draft 2020-12) for editors and CI', tag: 'system', roles: 'public', status: 200, response: api.JsonDocumentSchema, contentType: 'application/schema+json' },
  { operationId: 'metrics', method: 'GET', path: '/metrics', summary: 'Prometheus metrics (text exposition format)', tag: 'system', roles: STAFF, status: 200, media: { 'text/plain': 'Prometheus text exposition format' } },
  { operationId: 'terminal', method: 'GET', path: '/ws', summary: 'Terminal WebSocket bridged to SSH into VM N as root', tag: 'terminal', roles: ALL, query: api.TerminalQuerySchema, status: 101, websocket: true, errors: [400, 404] },
  { operationId: 'listTokens', method: 'GET', path: '/api/v1/tokens', summary: 'List tokens (never their secrets)', tag: 'tokens', roles: ADMIN, status: 200, response: api.TokenListSchema },
  { operationId: 'createToken', method: 'POST', path: '/api/v1/tokens', summary: 'Create a token; the secret is shown only in this response', tag: 'tokens', roles: ADMIN, body: api.TokenCreateRequestSchema, status: 201, response: api.TokenCreatedSchema, errors: [400, 404] },
  { operationId: 'revokeToken', method: 'DELETE', path: '/api/v1/tokens/{id}', summary: 'Revoke a token', tag: 'tokens', roles: ADMIN, params: api.IdParamsSchema, status: 200, response: api.TokenInfoSchema, errors: [404] },
  { operationId: 'listFleets', method: 'GET', path: '/api/v1/fleets', summary: 'List fleets', tag: 'fleets', roles: STAFF, status: 200, response: api.FleetListSchema },
  { operationId: 'createFleet', method: 'POST', path: '/api/v1/fleets', summary: 'Create a fleet and boot its VMs (answers when they are ready)', tag: 'fleets', roles: OPERATORS, body: api.FleetCreateRequestSchema, status: 201, response: api.FleetSchema, errors: [400, 409, 429, 500, 503, 504] },
  { operationId: 'getFleet', method: 'GET', path: '/api/v1/fleets/{id}', summary: 'One fleet', tag: 'fleets', roles: STAFF, params: api.IdParamsSchema, status: 200, response: api.FleetSchema, errors: [404] },
  { operationId: 'deleteFleet', method: 'DELETE', path: '/api/v1/fleets/{id}', summary: 'Destroy a fleet\'s VMs', tag: 'fleets', roles: OPERATORS, params: api.IdParamsSchema, status: 200, response: api.FleetSchema, errors: [404, 409] },
  { operationId: 'listRuns', method: 'GET', path: '/api/v1/scenarios', summary: 'List scenario runs (a trainee sees only its own)', tag: 'scenarios', roles: ALL, status: 200, response: api.RunListSchema },
  { operationId: 'runScenario', method: 'POST', path: '/api/v1/scenarios', summary: 'Start a scenario run from YAML text or a library name', tag: 'scenarios', roles: OPERATORS, body: api.ScenarioRunRequestSchema, status: 201, response: api.RunCreatedSchema, errors: [400, 404, 409, 413, 422, 423] },
  { operationId: 'getRun', method: 'GET', path: '/api/v1/scenarios/{id}', summary: 'Live status of a run: clock, alerts, objectives, hints, score', tag: 'scenarios', roles: ALL, params: api.IdParamsSchema, status: 200, response: api.RunStatusSchema, errors: [404] },
  { operationId: 'takeHint', method: 'POST', path: '/api/v1/scenarios/{id}/hint', summary: 'Reveal the next hint (charged once per hint)', tag: 'scenarios', roles: ['admin', 'instructor', 'trainee'], params: api.IdParamsSchema, status: 200, response: api.HintResponseSchema, errors: [404, 409] },
  { operationId: 'answerRootCause', method: 'POST', path: '/api/v1/scenarios/{id}/root-cause', summary: 'Answer the root-cause question (once, during the review after the fix)', tag: 'scenarios', roles: ['admin', 'instructor', 'trainee'], params: api.IdParamsSchema, body: api.RootCauseAnswerSchema, status: 200, response: api.RootCauseVerdictSchema, errors: [400, 404, 409] },
  { operationId: 'endReview', method: 'POST', path: '/api/v1/scenarios/{id}/review/end', summary: 'End the review after the fix: the fleet is destroyed', tag: 'scenarios', roles: ['admin', 'instructor', 'trainee'], params: api.IdParamsSchema, status: 200, response: api.RunStatusSchema, errors: [404, 409] },
  { operationId: 'abortRun', method: 'POST', path: '/api/v1/scenarios/{id}/abort', summary: 'Abort a run: revert every fault, destroy the fleet', tag: 'scenarios', roles: OPERATORS, params: api.IdParamsSchema, status: 200, response: api.RunStatusSchema, errors: [404, 409] },
  { operationId: 'getRunMetrics', method: 'GET', path: '/api/v1/scenarios/{id}/metrics', summary: 'Live agent metrics of each of the run\'s VMs', tag: 'scenarios', roles: ALL, params: api.IdParamsSchema, status: 200, response: api.RunMetricsSchema, errors: [404] },
  { operationId: 'listRunEvents', method: 'GET', path: '/api/v1/scenarios/{id}/events', summary: 'A run\'s events; with Accept: text/event-stream a live SSE stream', tag: 'scenarios', roles: ALL, params: api.IdParamsSchema, query: api.EventsQuerySchema, status: 200, response: api.RunEventListSchema, sse: true, errors: [404] },
  { operationId: 'getHalt', method: 'GET', path: '/api/v1/halt', summary: 'Whether halt-all is engaged, why and by whom', tag: 'halt', roles: STAFF, status: 200, response: halt.HaltStatusSchema },
  { operationId: 'haltAll', method: 'POST', path: '/api/v1/halt', summary: 'Halt all: revert every active fault on every run (in parallel, with a deadline), end the runs halted, refuse new runs and faults (423) until released; idempotent', tag: 'halt', roles: ['admin', 'instructor'], body: halt.HaltRequestSchema, status: 200, response: halt.HaltResultSchema, errors: [400] },
  { operationId: 'releaseHalt', method: 'POST', path: '/api/v1/halt/release', summary: 'Release halt-all (409 when it is not engaged)', tag: 'halt', roles: ['admin'], status: 200, response: halt.HaltStatusSchema, errors: [409] },
  { operationId: 'listLibrary', method: 'GET', path: '/api/v1/library', summary: 'Scenarios in the server\'s library', tag: 'library', roles: STAFF, status: 200, response: api.LibraryListSchema },
  { operationId: 'getLibraryScenario', method: 'GET', path: '/api/v1/library/{name}', summary: 'One library scenario with its YAML (name with / encoded as %2F)', tag: 'library', roles: STAFF, params: api.NameParamsSchema, status: 200, response: api.LibraryItemSchema, errors: [404] },
  { operationId: 'listAudit', method: 'GET', path: '/api/v1/audit', summary: 'The append-only audit log, newest first', tag: 'audit', roles: ['admin', 'observer'], query: api.AuditQuerySchema, status: 200, response: api.AuditListSchema },
  { operationId: 'listRecordings', method: 'GET', path: '/api/v1/scenarios/{id}/recordings', summary: 'The run\'s terminal recordings (asciicast v2), with the per-run budget', tag: 'recordings', roles: ALL, params: api.IdParamsSchema, status: 200, response: learning.RecordingListSchema, errors: [404] },
  { operationId: 'getRecording', method: 'GET', path: '/api/v1/scenarios/{id}/recordings/{session}', summary: 'One session\'s recording as application/x-asciicast (plays in `asciinema play`)', tag: 'recordings', roles: ALL, params: learning.RecordingParamsSchema, status: 200, media: { [learning.ASCIICAST_CONTENT_TYPE]: 'asciicast v2: a header line, then `[seconds, "o"|"i"|"r", data]` lines' }, errors: [404] },
  { operationId: 'listRunCommands', method: 'GET', path: '/api/v1/scenarios/{id}/commands', summary: 'Commands the responder ran, reconstructed from the recordings (prompt-aware), with times', tag: 'recordings', roles: ALL, params: api.IdParamsSchema, status: 200, response: learning.CommandListSchema, errors: [404] },
  { operationId: 'getRunHistory', method: 'GET', path: '/api/v1/scenarios/{id}/history', summary: 'Each VM\'s metric history on the run\'s clock (sampled every 0.5 s while live), with fault/alert/hint/fix markers', tag: 'scenarios', roles: ALL, params: api.IdParamsSchema, status: 200, response: learning.MetricHistorySchema, errors: [404] },
  { operationId: 'getRunReport', method: 'GET', path: '/api/v1/scenarios/{id}/report', summary: 'The post-mortem: JSON, Markdown or printable HTML (?format=); blameless', tag: 'reports', roles: ALL, params: api.IdParamsSchema, query: learning.ReportQuerySchema, status: 200, response: learning.ReportSchema, media: { 'text/markdown': 'the report in Markdown', 'text/html': 'the report as one printable HTML page (inline CSS and SVG charts)' }, errors: [404] },
  { operationId: 'getRunNotes', method: 'GET', path: '/api/v1/scenarios/{id}/notes', summary: 'The run\'s notes: the trainee\'s account and the instructor\'s feedback', tag: 'reports', roles: ALL, params: api.IdParamsSchema, status: 200, response: learning.RunNotesSchema, errors: [404] },
  { operationId: 'updateRunNotes', method: 'POST', path: '/api/v1/scenarios/{id}/notes', summary: 'Edit the notes (during or after the run): trainees their account, staff the feedback', tag: 'reports', roles: ['admin', 'instructor', 'trainee'], params: api.IdParamsSchema, body: learning.RunNotesUpdateSchema, status: 200, response: learning.RunNotesSchema, errors: [400, 404] },
  { operationId: 'deleteRun', method: 'DELETE', path: '/api/v1/scenarios/{id}', summary: 'Delete a finished run with its events, recordings, metric history and notes', tag: 'scenarios', roles: ['admin'], params: api.IdParamsSchema, status: 200, response: learning.RunDeletedSchema, errors: [404, 409] },
  { operationId: 'listWebhooks', method: 'GET', path: '/api/v1/webhooks', summary: 'Webhooks and their delivery log (newest first)', tag: 'webhooks', roles: ADMIN, status: 200, response: learning.WebhookListSchema },
  { operationId: 'createWebhook', method: 'POST', path: '/api/v1/webhooks', summary: 'Add a webhook (JSON body, HMAC-SHA256 signed, retried with backoff)', tag: 'webhooks', roles: ADMIN, body: learning.WebhookCreateSchema, status: 201, response: learning.WebhookSchema, errors: [400] },
  { operationId: 'deleteWebhook', method: 'DELETE', path: '/api/v1/webhooks/{id}', summary: 'Remove a webhook added through the API', tag: 'webhooks', roles: ADMIN, params: api.IdParamsSchema, status: 200, response: learning.WebhookSchema, errors: [404, 409] },
  { operationId: 'getPolicy', method: 'GET', path: '/api/v1/policy', summary: 'The blast-radius policy in force: environments, roles, whether it validates', tag: 'policy', roles: STAFF, status: 200, response: gov.PolicyInfoSchema },
  { operationId: 'explainPolicy', method: 'POST', path: '/api/v1/policy/explain', summary: 'Which rule decides each fault of a scenario, and why (same answer as puduc policy explain offline)', tag: 'policy', roles: STAFF, body: gov.PolicyExplainRequestSchema, status: 200, response: gov.PolicyDecisionSchema, errors: [400, 404, 413, 422] },
  { operationId: 'listExperiments', method: 'GET', path: '/api/v1/experiments', summary: 'Proposed experiments, newest first', tag: 'experiments', roles: STAFF, status: 200, response: gov.ExperimentListSchema },
  { operationId: 'proposeExperiment', method: 'POST', path: '/api/v1/experiments', summary: 'Propose an experiment: validate, compile, policy, capacity; pending, approved or denied', tag: 'experiments', roles: OPERATORS, body: gov.ExperimentProposeRequestSchema, status: 201, response: gov.ExperimentSchema, errors: [400, 404, 409, 413, 422] },
  { operationId: 'getExperiment', method: 'GET', path: '/api/v1/experiments/{id}', summary: 'One experiment: charter, decision, approvals, diff against the last approved version', tag: 'experiments', roles: STAFF, params: api.IdParamsSchema, status: 200, response: gov.ExperimentSchema, errors: [404] },
  { operationId: 'updateExperiment', method: 'POST', path: '/api/v1/experiments/{id}/versions', summary: 'A new version of the definition (voids every approval of the old one)', tag: 'experiments', roles: OPERATORS, params: api.IdParamsSchema, body: gov.ExperimentUpdateRequestSchema, status: 200, response: gov.ExperimentSchema, errors: [400, 404, 409, 413, 422] },
  { operationId: 'approveExperiment', method: 'POST', path: '/api/v1/experiments/{id}/approve', summary: 'Approve the version with this sha256 (never your own; one vote per person)', tag: 'experiments', roles: OPERATORS, params: api.IdParamsSchema, body: gov.ExperimentApproveRequestSchema, status: 200, response: gov.ExperimentSchema, errors: [400, 404, 409] },
  { operationId: 'rejectExperiment', method: 'POST', path: '/api/v1/experiments/{id}/reject', summary: 'Reject with a comment', tag: 'experiments', roles: OPERATORS, params: api.IdParamsSchema, body: gov.ExperimentRejectRequestSchema, status: 200, response: gov.ExperimentSchema, errors: [400, 404, 409] },
  { operationId: 'runExperiment', method: 'POST', path: '/api/v1/experiments/{id}/run', summary: 'Run an approved experiment inside its window, as a run linked to it', tag: 'experiments', roles: OPERATORS, params: api.IdParamsSchema, status: 201, response: api.RunCreatedSchema, errors: [404, 409, 422, 423] },
  { operationId: 'ssoLogin', method: 'GET', path: '/api/v1/auth/oidc/login', summary: 'Start OpenID Connect sign-in (authorization code + PKCE): redirects to the identity provider', tag: 'auth', roles: 'public', query: gov.SsoLoginQuerySchema, status: 302, errors: [404, 502] },
  { operationId: 'ssoCallback', method: 'GET', path: '/api/v1/auth/oidc/callback', summary: 'Where the identity provider returns; redirects to the UI with a one-time ticket', tag: 'auth', roles: 'public', query: gov.SsoCallbackQuerySchema, status: 302, errors: [400, 404, 502] },
  { operationId: 'ssoTicket', method: 'POST', path: '/api/v1/auth/oidc/ticket', summary: 'Exchange the one-time ticket for a Pudu token (12 h)', tag: 'auth', roles: 'public', body: gov.SsoTicketRequestSchema, status: 200, response: gov.SsoTokenSchema, errors: [400, 404, 502] },
  { operationId: 'ssoDeviceStart', method: 'POST', path: '/api/v1/auth/oidc/device', summary: 'Start device sign-in for puduc: a code to enter at the identity provider', tag: 'auth', roles: 'public', status: 200, response: gov.SsoDeviceStartSchema, errors: [404, 502] },
  { operationId: 'ssoDevicePoll', method: 'POST', path: '/api/v1/auth/oidc/device/poll', summary: 'Poll device sign-in; done gives a Pudu token (12 h)', tag: 'auth', roles: 'public', body: gov.SsoDevicePollRequestSchema, status: 200, response: gov.SsoDevicePollSchema, errors: [400, 404, 502] },
  { operationId: 'listGameDays', method: 'GET', path: '/api/v1/gamedays', summary: 'Game days (cohorts)', tag: 'gamedays', roles: STAFF, status: 200, response: learning.GameDayListSchema },
  { operationId: 'createGameDay', method: 'POST', path: '/api/v1/gamedays', summary: 'Create a game day: one scenario and seed for N trainees; the invite links are shown once', tag: 'gamedays', roles: OPERATORS, body: learning.GameDayCreateSchema, status: 201, response: learning.GameDayCreatedSchema, errors: [400, 404, 422] },
  { operationId: 'getGameDay', method: 'GET', path: '/api/v1/gamedays/{id}', summary: 'The live board: every trainee\'s state, objectives, hints, elapsed, integrity flags, sessions', tag: 'gamedays', roles: STAFF, params: api.IdParamsSchema, status: 200, response: learning.GameDaySchema, errors: [404] },
  { operationId: 'startGameDay', method: 'POST', path: '/api/v1/gamedays/{id}/start', summary: 'Start every trainee\'s run together (capacity-checked; the rest queue)', tag: 'gamedays', roles: OPERATORS, params: api.IdParamsSchema, status: 200, response: learning.GameDaySchema, errors: [404, 409] },
  { operationId: 'joinGameDay', method: 'POST', path: '/api/v1/gamedays/{id}/join', summary: 'A trainee opens their invite: their run (started now when self-paced, or queued) and a trainee token for it', tag: 'gamedays', roles: 'public', params: api.IdParamsSchema, body: learning.GameDayJoinSchema, status: 200, response: learning.GameDayJoinedSchema, errors: [400, 403, 404, 409] },
  { operationId: 'getLeaderboard', method: 'GET', path: '/api/v1/gamedays/{id}/leaderboard', summary: 'The leaderboard: score, time, hints (ties by time); ?format=csv to export', tag: 'gamedays', roles: STAFF, params: api.IdParamsSchema, query: learning.LeaderboardQuerySchema, status: 200, response: learning.LeaderboardSchema, media: { 'text/csv': 'rank,name,run,state,score,resolved_s,hints,integrity_flags' }, errors: [404] },
] as const satisfies readonly ApiRoute[];

export type ApiRouteEntry = (typeof API_ROUTES)[number];
export type ApiOperationId = ApiRouteEntry['operationId'];
export type RouteOf<K extends ApiOperationId> = Extract<ApiRouteEntry, { operationId: K }>;
/** Routes whose success answer is JSON with a schema (the client's `call` reaches only these). */
export type JsonOperationId = Extract<ApiRouteEntry, { response: z.ZodType }>['operationId'];
/** Routes answered with text in a media type of their own (`media`): metrics, a recording, a report. */
export type MediaOperationId = Extract<ApiRouteEntry, { media: Readonly<Record<string, string>> }>['operationId'];

type Part<R, F extends string, IO extends 'input' | 'output'> = R extends { [P in F]: infer S extends z.ZodType }
  ? (IO extends 'input' ? z.input<S> : z.output<S>) : undefined;
/** Path parameters, query, body as a caller writes them (before defaults). */
export type RouteParams<K extends ApiOperationId> = Part<RouteOf<K>, 'params', 'input'>;
export type RouteQuery<K extends ApiOperationId> = Part<RouteOf<K>, 'query', 'input'>;
export type RouteBody<K extends ApiOperationId> = Part<RouteOf<K>, 'body', 'input'>;
/** The success body as the client receives it. */
export type RouteResponse<K extends ApiOperationId> = Part<RouteOf<K>, 'response', 'output'>;

/** Statuses every authenticated route may answer. */
export const COMMON_ERROR_STATUSES = [401, 403, 500] as const;

/** The route with this operationId. */
export function apiRoute<K extends ApiOperationId>(operationId: K): RouteOf<K> {
  const route = API_ROUTES.find((r) => r.operationId === operationId);
  if (!route) throw new Error(`no API route ${operationId}`);
  return route as RouteOf<K>;
}

/**
 * The concrete path of a route: `{name}` segments filled (URI-encoded), then the query's
 * defined values. `apiPath('getRun', { id: 'r1' })` → `/api/v1/scenarios/r1`.
 */
export function apiPath(
  operationId: ApiOperationId,
  params: Record<string, string | number> = {},
  query: Record<string, string | number | boolean | undefined> = {},
): string {
  const path = apiRoute(operationId).path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`${operationId}: missing path parameter ${name}`);
    return encodeURIComponent(String(v));
  });
  return withQuery(path, query);
}

/** The route a request names, with its decoded path parameters; null when none matches. */
export function matchApiRoute(method: string, pathname: string): { route: ApiRouteEntry; params: Record<string, string> } | null {
  for (const route of API_ROUTES) {
    if (route.method !== method.toUpperCase()) continue;
    const names: string[] = [];
    const pattern = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const m = new RegExp(`^${pattern}$`).exec(pathname);
    if (m) return { route, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')])) };
  }
  return null;
}

/** The route's path in fastify's syntax (`/api/v1/fleets/:id`). */
export function fastifyPath(route: ApiRoute): string {
  return route.path.replace(/\{(\w+)\}/g, ':$1');
}
