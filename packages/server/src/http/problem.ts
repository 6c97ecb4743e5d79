/**
 * The one error handler: every failure leaves the server as application/problem+json with
 * a stable `code` (RFC 9457), whether it was a PuduError, a fastify error or a bug.
 */
import { PuduError, problemOf, type Capacity, type ErrorCode, type Problem } from '@pudu/schema';
import type { z } from 'zod';
import { publicDetail } from '../public-error.ts';

/**
 * Maps any thrown value to a problem document and its HTTP status. A 5xx carries only its
 * code, a fixed sentence and `errorId` (log the thrown value under that id); an error made
 * public earlier (publicError) keeps the id its details were logged under.
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
    const logged = (details as { errorId?: unknown } | undefined)?.errorId;
    const id = typeof logged === 'string' ? logged : errorId;
    problem.detail = publicDetail(code, id);
    if (id) problem.errorId = id;
    return problem;
  }
  const out: Problem = problemOf(code, detail, { instance, details, status: problem.status });
  const capacity = (details as { capacity?: Capacity } | undefined)?.capacity;
  if (code === 'CAPACITY_EXHAUSTED' && capacity) out.capacity = capacity;
  return out;
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
