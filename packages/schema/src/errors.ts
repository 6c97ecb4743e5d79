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
  SERVER_UNREACHABLE: 502,
  /** A client got an answer that is not the documented one (not problem+json, or a body off the contract). */
  BAD_RESPONSE: 502,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

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
