import { execFile } from 'node:child_process';
import { PuduError } from '@pudu/schema';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

const EXEC_TIMEOUT_MS = 10_000;

/** Runs a command without a shell and resolves with its exit code and output (never rejects on exit code). */
export function run(cmd: string, args: readonly string[], timeoutMs = EXEC_TIMEOUT_MS): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && code === 127 ? err.message : '')) });
    });
  });
}

/** Runs a command and throws FAULT_APPLY_FAILED (or the given code) with its stderr when it fails. */
export async function runOk(cmd: string, args: readonly string[], what: string): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) {
    throw new PuduError('FAULT_APPLY_FAILED', `${what}: ${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}
