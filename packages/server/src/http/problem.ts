/**
 * The one error handler: every failure leaves the server as application/problem+json with
 * a stable `code` (RFC 9457), whether it was a PuduError, a fastify error or a bug.
 */
import { ERROR_CODES, PuduError, type ErrorCode, type Problem } from '@pudu/schema';
import type { z } from 'zod';

const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Content Too Large',
  415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};

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

interface Issue { file?: string; line?: number; col?: number; path: string; message: string }

function issuesOf(details: unknown): Issue[] | undefined {
  if (!details || typeof details !== 'object') return undefined;
  const list = (details as { errors?: unknown }).errors;
  if (!Array.isArray(list)) return undefined;
  return list.map((x: Record<string, unknown>) => {
    const out: Issue = { path: String(x.path ?? ''), message: String(x.message ?? '') };
    if (typeof x.file === 'string') out.file = x.file;
    if (typeof x.line === 'number') out.line = x.line;
    if (typeof x.col === 'number') out.col = x.col;
    return out;
  });
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
  const status = code === 'BAD_REQUEST' && e && typeof e === 'object' && (e as { statusCode?: number }).statusCode === 415 ? 415 : ERROR_CODES[code];
  const problem: Problem = { type: `urn:pudu:problem:${code.toLowerCase().replace(/_/g, '-')}`, title: TITLES[status] ?? 'Error', status, code, detail };
  if (instance) problem.instance = instance;
  if (status >= 500) {
    if (errorId) {
      problem.detail = publicDetail(code, errorId);
      problem.errorId = errorId;
    } else {
      problem.detail = PUBLIC_DETAIL[code] ?? 'the server failed';
    }
    return problem;
  }
  const errors = issuesOf(details);
  if (errors) problem.errors = errors;
  return problem;
}

/** Parses input with zod or throws BAD_REQUEST listing every issue with its field path. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new PuduError('BAD_REQUEST', `invalid ${where}: ${errors.map((x) => `${x.path}: ${x.message}`).join('; ')}`, { errors });
}
