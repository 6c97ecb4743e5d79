/**
 * What a fault's plan checks besides its params: that the programs its apply *and* its
 * revert run are here and the files it changes can be written. `POST /fault/plan` runs this
 * (pre-flight), so a run never starts with a fault it could inject but not undo.
 */
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { PuduError } from '@pudu/schema';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The programs, found on PATH; FAULT_APPLY_FAILED naming the missing ones. */
export function requireTools(what: string, tools: readonly string[]): string[] {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).filter(Boolean);
  const missing = tools.filter((t) => !dirs.some((d) => executable(join(d, t))));
  if (missing.length > 0) throw new PuduError('FAULT_APPLY_FAILED', `${what}: ${missing.join(', ')} not found in the VM (needed to apply and revert)`);
  return [`${what}: ${tools.join(', ')} present`];
}

/** The file (or directory) can be written by the agent. */
export function requireWritable(what: string, path: string): string[] {
  try {
    accessSync(path, constants.W_OK);
  } catch (e) {
    throw new PuduError('FAULT_APPLY_FAILED', `${what}: ${path} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return [`${what}: ${path} writable`];
}

/** Helper-unit faults (cpu, memory, db-connections, the network packet handler) start and stop a transient unit. */
export const helperTools = (what: string): string[] => requireTools(what, ['systemd-run', 'systemctl']);

const LISTEN_TIMEOUT_MS = 2000;

/** Something accepts TCP connections on 127.0.0.1:port (the service the fault leans on is up). */
export function requireListening(what: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, timeout: LISTEN_TIMEOUT_MS });
    const fail = (why: string): void => {
      s.destroy();
      reject(new PuduError('FAULT_APPLY_FAILED', `${what}: nothing accepts connections on 127.0.0.1:${port} (${why})`));
    };
    s.once('connect', () => {
      s.destroy();
      resolve(`${what}: 127.0.0.1:${port} accepts connections`);
    });
    s.once('timeout', () => fail('timed out'));
    s.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
  });
}
