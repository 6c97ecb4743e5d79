/**
 * The one error handler: every failure leaves the server as application/problem+json with
 * a stable `code` (RFC 9457), whether it was a PuduError, a fastify error or a bug.
 */
import { PuduError, problemOf, type ErrorCode, type Problem } from '@pudu/schema';
import type { z } from 'zod';

/**
 * What a client is told about a server-side failure. The message of a 5xx names host paths,
 * commands and console output: it goes to the server log under the error id, never out.
 */
const PUBLIC_DETAIL: Partial<Record<ErrorCode, string>> = {
  VM_START_FAILED: 'a VM could not be started',
  VM_BOOT_TIMEOUT: 'a VM did not become ready in time',
  DRIVER_UNAVAILABLE: 'the VM driver is not available on this server',
  AGENT_UNREACHABLE: "a VM's agent did not answer",
  FAULT_APPLY_FAILED: 'a fault could not be applied',
  FAULT_NOT_REVERTIBLE: 'a fault could not be reverted',
  ASSETS_MISSING: 'the guest image or kernel is missing on the server',
  NETWORK_UNSAFE: 'the server refused VM traffic whose route it could not verify',
  INTERNAL: 'internal error',
};

/** The client-safe sentence for a server-side failure with this code. */
export function publicDetail(code: ErrorCode, errorId: string): string {
  return `${PUBLIC_DETAIL[code] ?? 'the server failed'} (error id ${errorId}; the details are in the server log)`;
}

/**
 * Maps any thrown value to a problem document and its HTTP status. A 5xx carries only its
 * code, a fixed sentence and `errorId` (log the thrown value under that id).
 */
export function toProblem(e: unknown, instance?: string, errorId?: string): Problem {
  let code: ErrorCode = 'INTERNAL';
  let detail = 'internal error';
  let details: unknown;
  if (e instanceof PuduError) {
    code = e.code;
    detail = e.message;
    details = e.details;
  } else if (e && typeof e === 'object' && 'statusCode' in e && typeof (e as { statusCode: unknown }).statusCode === 'number') {
    // fastify's own errors (bad JSON, body too large, wrong content type).
    const status = (e as { statusCode: number }).statusCode;
    code = status === 413 ? 'INPUT_TOO_LARGE' : status === 404 ? 'NOT_FOUND' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL';
    detail = String((e as { message?: unknown }).message ?? 'request failed');
  }
  const unsupported = code === 'BAD_REQUEST' && e && typeof e === 'object' && (e as { statusCode?: number }).statusCode === 415;
  const problem: Problem = problemOf(code, detail, { instance, ...(unsupported ? { status: 415 } : {}) });
  if (problem.status >= 500) {
    if (errorId) {
      problem.detail = publicDetail(code, errorId);
      problem.errorId = errorId;
    } else {
      problem.detail = PUBLIC_DETAIL[code] ?? 'the server failed';
    }
    return problem;
  }
  return problemOf(code, detail, { instance, details, status: problem.status });
}

/** Parses input with zod or throws BAD_REQUEST listing every issue with its field path. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new PuduError('BAD_REQUEST', `invalid ${where}: ${errors.map((x) => `${x.path}: ${x.message}`).join('; ')}`, { errors });
}

/** RFC 6750's challenge on a 401: the scheme, and `invalid_token` when a token was sent. */
export function bearerChallenge(tokenSent: boolean): string {
  return `Bearer realm="pudu"${tokenSent ? ', error="invalid_token"' : ''}`;
}
