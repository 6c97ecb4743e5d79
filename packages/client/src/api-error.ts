import { ERROR_CODES, formatIssue, type ErrorCode, type Problem } from '@pudu/schema';

/**
 * An API error: the server's problem+json (its `code`), or one the client names itself:
 * SERVER_UNREACHABLE (no answer: status 0) or BAD_RESPONSE (an answer that is not the
 * documented one, e.g. a proxy's HTML page). Callers branch on `code`.
 */
export class PuduApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly problem: Problem | null;

  constructor(status: number, code: ErrorCode, message: string, problem: Problem | null = null) {
    super(message);
    this.name = 'PuduApiError';
    this.status = status;
    this.code = code;
    this.problem = problem;
  }

  /** The message with every located issue (`file:line:col: path: message`) on its own line. */
  describe(): string {
    const lines = [this.message];
    for (const e of this.problem?.errors ?? []) {
      if (!this.message.includes(e.message)) lines.push(`  ${formatIssue(e)}`);
    }
    return lines.join('\n');
  }
}

/** The code of a problem+json answer; a server newer than this client may send one it does not know. */
export function problemCode(code: string): ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code) ? (code as ErrorCode) : 'BAD_RESPONSE';
}
