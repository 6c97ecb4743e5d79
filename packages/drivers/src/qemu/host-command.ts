/**
 * Host commands for the hypervisor drivers (ip, iptables, qemu-img, sysctl). stdin is
 * not connected: a command that exits at once (iptables on a missing chain) must not turn
 * into an EPIPE on a pipe nobody reads.
 */
import { spawn } from 'node:child_process';
import { PuduError, type ErrorCode } from '@pudu/schema';

const OUTPUT_MAX_CHARS = 16 * 1024 * 1024;
const STDERR_TAIL_CHARS = 1500;

export interface HostCommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; throws PuduError(errorCode) with the stderr tail unless `allowFail`. */
export function hostCommand(cmd: string, args: string[], opts: { allowFail?: boolean; errorCode?: ErrorCode } = {}): Promise<HostCommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { if (stdout.length < OUTPUT_MAX_CHARS) stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < OUTPUT_MAX_CHARS) stderr += d; });
    child.on('error', (e) => reject(new PuduError(opts.errorCode ?? 'INTERNAL', `cannot run ${cmd}: ${e.message}`)));
    child.on('close', (status, signal) => {
      const code = status ?? (signal ? 128 : 1);
      if (code !== 0 && !opts.allowFail) {
        const tail = (stderr || stdout).trim().slice(-STDERR_TAIL_CHARS);
        reject(new PuduError(opts.errorCode ?? 'INTERNAL', `${cmd} ${args.join(' ')} failed (exit ${code}): ${tail}`, { cmd, args, code, stderr: tail }));
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}
