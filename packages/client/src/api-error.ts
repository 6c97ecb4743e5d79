import type { Problem } from '@pudu/schema';

/** An API error: the server's problem+json, or a transport failure (status 0, code NETWORK). */
export class PuduApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem | null;

  constructor(status: number, code: string, message: string, problem: Problem | null = null) {
    super(message);
    this.name = 'PuduApiError';
    this.status = status;
    this.code = code;
    this.problem = problem;
  }

  /** The message with every located issue (`file:line:col path: message`) on its own line. */
  describe(): string {
    const lines = [this.message];
    for (const e of this.problem?.errors ?? []) {
      const where = e.line !== undefined ? `${e.file ?? ''}:${e.line}:${e.col ?? 1} ` : '';
      if (!this.message.includes(e.message)) lines.push(`  ${where}${e.path ? `${e.path}: ` : ''}${e.message}`);
    }
    return lines.join('\n');
  }
}
