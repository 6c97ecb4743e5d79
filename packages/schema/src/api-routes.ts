/**
 * The REST API's route table: path, method, who may call it, and the zod schemas of its
 * parameters and bodies. The server registers its handlers from this table and the
 * OpenAPI document is generated from it, so the two cannot drift apart.
 */
import type { z } from 'zod';
import * as api from './api.ts';
import * as learning from './api-learning.ts';
import type { Role } from './api.ts';

export interface ApiRoute {
  operationId: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI-style path: `/api/v1/fleets/{id}`. */
  path: string;
  summary: string;
  tag: string;
  /** Roles allowed; trainees are further limited to their own run by the handler. */
  roles: readonly Role[];
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Success status and body; `text/event-stream` routes have `sse: true` and no JSON body. */
  status: number;
  response?: z.ZodType;
  sse?: boolean;
  /** Other media types the success answer may have (type → description), e.g. a recording or a report. */
  media?: Readonly<Record<string, string>>;
  /** Errors this route can answer besides 401/403 (all are problem+json). */
  errors?: number[];
}

const ALL: readonly Role[] = ['admin', 'instructor', 'trainee', 'observer'];
const STAFF: readonly Role[] = ['admin', 'instructor', 'observer'];
const OPERATORS: readonly Role[] = ['admin', 'instructor'];
const ADMIN: readonly Role[] = ['admin'];

export const API_ROUTES = [
  { operationId: 'health', method: 'GET', path: '/api/v1/health', summary: 'Server health and version', tag: 'system', roles: ALL, status: 200, response: api.HealthSchema },
  { operationId: 'whoami', method: 'GET', path: '/api/v1/whoami', summary: 'The caller\'s token identity', tag: 'system', roles: ALL, status: 200, response: api.WhoAmISchema },
  { operationId: 'listTokens', method: 'GET', path: '/api/v1/tokens', summary: 'List tokens (never their secrets)', tag: 'tokens', roles: ADMIN, status: 200, response: api.TokenListSchema },
  { operationId: 'createToken', method: 'POST', path: '/api/v1/tokens', summary: 'Create a token; the secret is shown only in this response', tag: 'tokens', roles: ADMIN, body: api.TokenCreateRequestSchema, status: 201, response: api.TokenCreatedSchema, errors: [400, 404] },
  { operationId: 'revokeToken', method: 'DELETE', path: '/api/v1/tokens/{id}', summary: 'Revoke a token', tag: 'tokens', roles: ADMIN, params: api.IdParamsSchema, status: 200, response: api.TokenInfoSchema, errors: [404] },
  { operationId: 'listFleets', method: 'GET', path: '/api/v1/fleets', summary: 'List fleets', tag: 'fleets', roles: STAFF, status: 200, response: api.FleetListSchema },
  { operationId: 'createFleet', method: 'POST', path: '/api/v1/fleets', summary: 'Create a fleet and boot its VMs (answers when they are ready)', tag: 'fleets', roles: OPERATORS, body: api.FleetCreateRequestSchema, status: 201, response: api.FleetSchema, errors: [400, 409, 500, 503, 504] },
  { operationId: 'getFleet', method: 'GET', path: '/api/v1/fleets/{id}', summary: 'One fleet', tag: 'fleets', roles: STAFF, params: api.IdParamsSchema, status: 200, response: api.FleetSchema, errors: [404] },
  { operationId: 'deleteFleet', method: 'DELETE', path: '/api/v1/fleets/{id}', summary: 'Destroy a fleet\'s VMs', tag: 'fleets', roles: OPERATORS, params: api.IdParamsSchema, status: 200, response: api.FleetSchema, errors: [404, 409] },
  { operationId: 'listRuns', method: 'GET', path: '/api/v1/scenarios', summary: 'List scenario runs (a trainee sees only its own)', tag: 'scenarios', roles: ALL, status: 200, response: api.RunListSchema },
  { operationId: 'runScenario', method: 'POST', path: '/api/v1/scenarios', summary: 'Start a scenario run from YAML text or a library name', tag: 'scenarios', roles: OPERATORS, body: api.ScenarioRunRequestSchema, status: 201, response: api.RunCreatedSchema, errors: [400, 404, 409, 413, 422] },
  { operationId: 'getRun', method: 'GET', path: '/api/v1/scenarios/{id}', summary: 'Live status of a run: clock, alerts, objectives, hints, score', tag: 'scenarios', roles: ALL, params: api.IdParamsSchema, status: 200, response: api.RunStatusSchema, errors: [404] },
  { operationId: 'takeHint', method: 'POST', path: '/api/v1/scenarios/{id}/hint', summary: 'Reveal the next hint (charged once per hint)', tag: 'scenarios', roles: ['admin', 'instructor', 'trainee'], params: api.IdParamsSchema, status: 200, response: api.HintResponseSchema, errors: [404, 409] },
  { operationId: 'abortRun', method: 'POST', path: '/api/v1/scenarios/{id}/abort', summary: 'Abort a run: revert every fault, destroy the fleet', tag: 'scenarios', roles: OPERATORS, params: api.IdParamsSchema, status: 200, response: api.RunStatusSchema, errors: [404, 409] },
  { operationId: 'getRunMetrics', method: 'GET', path: '/api/v1/scenarios/{id}/metrics', summary: 'Live agent metrics of each of the run\'s VMs', tag: 'scenarios', roles: ALL, params: api.IdParamsSchema, status: 200, response: api.RunMetricsSchema, errors: [404] },
  { operationId: 'listRunEvents', method: 'GET', path: '/api/v1/scenarios/{id}/events', summary: 'A run\'s events; with Accept: text/event-stream a live SSE stream', tag: 'scenarios', roles: ALL, params: api.IdParamsSchema, query: api.EventsQuerySchema, status: 200, response: api.RunEventListSchema, sse: true, errors: [404] },
  { operationId: 'listLibrary', method: 'GET', path: '/api/v1/library', summary: 'Scenarios in the server\'s library', tag: 'library', roles: STAFF, status: 200, response: api.LibraryListSchema },
  { operationId: 'getLibraryScenario', method: 'GET', path: '/api/v1/library/{name}', summary: 'One library scenario with its YAML (name with / encoded as %2F)', tag: 'library', roles: STAFF, params: api.NameParamsSchema, status: 200, response: api.LibraryItemSchema, errors: [404] },
  { operationId: 'listAudit', method: 'GET', path: '/api/v1/audit', summary: 'The append-only audit log, newest first', tag: 'audit', roles: ['admin', 'observer'], query: api.AuditQuerySchema, status: 200, response: api.AuditListSchema },
  { operationId: 'listRecordings', method: 'GET', path: '/api/v1/scenarios/{id}/recordings', summary: 'The run\'s terminal recordings (asciicast v2), with the per-run budget', tag: 'recordings', roles: ALL, params: api.IdParamsSchema, status: 200, response: learning.RecordingListSchema, errors: [404] },
  { operationId: 'getRecording', method: 'GET', path: '/api/v1/scenarios/{id}/recordings/{session}', summary: 'One session\'s recording as application/x-asciicast (plays in `asciinema play`)', tag: 'recordings', roles: ALL, params: learning.RecordingParamsSchema, status: 200, media: { [learning.ASCIICAST_CONTENT_TYPE]: 'asciicast v2: a header line, then `[seconds, "o"|"i"|"r", data]` lines' }, errors: [404] },
  { operationId: 'listRunCommands', method: 'GET', path: '/api/v1/scenarios/{id}/commands', summary: 'Commands the responder ran, reconstructed from the recordings (prompt-aware), with times', tag: 'recordings', roles: ALL, params: api.IdParamsSchema, status: 200, response: learning.CommandListSchema, errors: [404] },
] as const satisfies readonly ApiRoute[];

export type ApiOperationId = (typeof API_ROUTES)[number]['operationId'];

/** Statuses every authenticated route may answer. */
export const COMMON_ERROR_STATUSES = [401, 403, 500] as const;
