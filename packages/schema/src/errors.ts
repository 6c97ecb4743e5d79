/**
 * Every error Pudu reports carries a stable UPPER_SNAKE code; callers branch on `code`,
 * never on message text. Add new codes here (one list, one place) with their HTTP status.
 */
export const ERROR_CODES = {
  SCENARIO_INVALID: 422,
  SCENARIO_NOT_FOUND: 404,
  YAML_SYNTAX: 422,
  INPUT_TOO_LARGE: 413,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RUN_NOT_FOUND: 404,
  RUN_NOT_ACTIVE: 409,
  HINTS_EXHAUSTED: 409,
  FLEET_NOT_FOUND: 404,
  FLEET_CAPACITY: 409,
  CAPACITY_EXHAUSTED: 429,
  VM_NOT_FOUND: 404,
  VM_BOOT_TIMEOUT: 504,
  VM_START_FAILED: 500,
  DRIVER_UNAVAILABLE: 503,
  AGENT_UNREACHABLE: 502,
  AGENT_AUTH: 401,
  /** An agent's reply was unsigned, badly signed or not bound to our request: something else answered. */
  AGENT_REPLY_UNAUTHENTICATED: 502,
  FAULT_INVALID: 400,
  FAULT_NOT_FOUND: 404,
  FAULT_CONFLICT: 409,
  FAULT_APPLY_FAILED: 500,
  FAULT_NOT_REVERTIBLE: 500,
  ASSETS_MISSING: 503,
  NETWORK_UNSAFE: 500,
  RECORDING_NOT_FOUND: 404,
  GAMEDAY_NOT_FOUND: 404,
  CONFIG_INVALID: 400,
  INTERNAL: 500,
  POLICY_INVALID: 422,
  POLICY_DENIED: 403,
  UNKNOWN_ENVIRONMENT: 422,
  APPROVAL_REQUIRED: 403,
  SELF_APPROVAL: 403,
  NOT_AN_APPROVER: 403,
  ALREADY_APPROVED: 409,
  APPROVAL_STALE: 409,
  EXPERIMENT_NOT_FOUND: 404,
  EXPERIMENT_STATE: 409,
  OUTSIDE_WINDOW: 409,
  TOKEN_EXPIRED: 401,
  SSO_NOT_CONFIGURED: 404,
  SSO_FAILED: 400,
  /** A client got no answer from the Pudu server (connection refused, timeout); status 0 on the client. */
  /** Halt-all is engaged: no new run and no new fault until an admin releases it. */
  HALTED: 423,
  /** Release asked while halt-all is not engaged. */
  NOT_HALTED: 409,
  SERVER_UNREACHABLE: 502,
  /** A client got an answer that is not the documented one (not problem+json, or a body off the contract). */
  BAD_RESPONSE: 502,
  /** No server replica leads right now (an election after the leader died, or the new one is resuming runs): retry. */
  LEADER_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

export class PuduError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'PuduError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export function isPuduError(e: unknown, code?: ErrorCode): e is PuduError {
  return e instanceof PuduError && (code === undefined || e.code === code);
}

/** Every error response of the API and of the agent has this media type (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const STATUS_TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Content Too Large',
  415: 'Unsupported Media Type', 422: 'Unprocessable Content', 423: 'Locked', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** One located issue of a problem (`file:line:col path message`). */
export interface ProblemIssueDoc { file?: string; line?: number; col?: number; path: string; message: string }

/** RFC 9457 problem details with Pudu's stable `code` (ProblemSchema in api.ts parses it). */
export interface ProblemDoc {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  errors?: ProblemIssueDoc[];
}

/** `details.errors` of a PuduError, when it lists issues, as the problem's `errors`. */
function issuesOf(details: unknown): ProblemIssueDoc[] | undefined {
  if (!details || typeof details !== 'object') return undefined;
  const list = (details as { errors?: unknown }).errors;
  if (!Array.isArray(list)) return undefined;
  return list.map((x: Record<string, unknown>) => {
    const out: ProblemIssueDoc = { path: String(x.path ?? ''), message: String(x.message ?? '') };
    if (typeof x.file === 'string') out.file = x.file;
    if (typeof x.line === 'number') out.line = x.line;
    if (typeof x.col === 'number') out.col = x.col;
    return out;
  });
}

/** The problem document for a code: one shape for the API and the agent alike. */
export function problemOf(code: ErrorCode, detail: string, opts: { instance?: string; details?: unknown; status?: number } = {}): ProblemDoc {
  const status = opts.status ?? ERROR_CODES[code];
  const problem: ProblemDoc = { type: `urn:pudu:problem:${code.toLowerCase().replace(/_/g, '-')}`, title: STATUS_TITLES[status] ?? 'Error', status, code, detail };
  if (opts.instance) problem.instance = opts.instance;
  const errors = issuesOf(opts.details);
  if (errors) problem.errors = errors;
  return problem;
}
