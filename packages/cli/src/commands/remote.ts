/**
 * What every server-talking puduc command shares: the client from PUDU_SERVER/PUDU_TOKEN
 * and one way to report failures (problem+json code and every located issue) and exit.
 */
import { PuduApiError, PuduClient } from '@pudu/client';
import { EXIT } from '../output.ts';

export const DEFAULT_SERVER = 'http://localhost:8888';

/** The client for this invocation; `--server`/`--token` options override the environment. */
export function clientFromEnv(opts: { server?: string; token?: string } = {}): PuduClient {
  const baseUrl = opts.server ?? process.env.PUDU_SERVER ?? DEFAULT_SERVER;
  const token = opts.token ?? process.env.PUDU_TOKEN;
  return new PuduClient({ baseUrl, token });
}

/** Runs a command body; API errors print as `puduc: CODE: message` and exit with the documented code. */
export async function withClient(fn: () => Promise<number | void>): Promise<void> {
  try {
    const code = await fn();
    process.exitCode = code ?? EXIT.OK;
  } catch (e) {
    if (e instanceof PuduApiError) {
      let msg = `puduc: ${e.code}: ${e.describe()}`;
      if (e.status === 401) msg += '\n  set PUDU_TOKEN to a token the server issued (the admin token is printed at its first start)';
      console.error(msg);
      // Invalid input the server rejected is the caller's failure; the rest is the server's.
      process.exitCode = e.status === 400 || e.status === 404 || e.status === 409 || e.status === 422 || e.status === 423 ? EXIT.FAILED : EXIT.SERVER;
      return;
    }
    throw e;
  }
}

/** `1m05s` style clock for elapsed times. */
export function formatClock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${String(sec).padStart(2, '0')}s` : `${m}m${String(sec).padStart(2, '0')}s`;
}
