/** Running host commands: one place that turns a failed command into a clear error. */
import { spawn, type SpawnOptions } from 'node:child_process';
import { PuduError, type ErrorCode } from '@pudu/schema';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFail?: boolean;
  /** Error code when the command fails (default INTERNAL). */
  errorCode?: ErrorCode;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with each line of stdout as it arrives (progress of long commands). */
  onLine?: (line: string) => void;
}

const STDERR_TAIL_CHARS = 2000;

/** Runs `cmd args`, capturing output; throws PuduError with the stderr tail on failure. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const so: SpawnOptions = { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd };
    const child = spawn(cmd, args, so);
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (opts.onLine) {
        pending += d;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) opts.onLine(l);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (e) => reject(new PuduError(opts.errorCode ?? 'INTERNAL', `cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code, signal) => {
      const c = code ?? (signal ? 128 : 1);
      if (c !== 0 && !opts.allowFail) {
        const tail = (stderr || stdout).slice(-STDERR_TAIL_CHARS).trim();
        reject(new PuduError(opts.errorCode ?? 'INTERNAL', `${cmd} ${args.join(' ')} failed (exit ${c}${signal ? `, ${signal}` : ''}): ${tail}`, { cmd, args, code: c, stderr: tail }));
        return;
      }
      resolve({ code: c, stdout, stderr });
    });
    if (child.stdin) {
      // A command that exits without reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}
