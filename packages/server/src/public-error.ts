/**
 * What a client may be told about a server-side failure. The message of a 5xx names host
 * paths, commands and console output: it goes to the server log under an id, never out —
 * not in a response body, not in a fleet's or run's stored error.
 */
import { randomBytes } from 'node:crypto';
import { ERROR_CODES, PuduError, type ErrorCode } from '@pudu/schema';

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

/** The client-safe sentence for a server-side failure with this code (with the id it was logged under, when there is one). */
export function publicDetail(code: ErrorCode, errorId?: string): string {
  const what = PUBLIC_DETAIL[code] ?? 'the server failed';
  return errorId ? `${what} (error id ${errorId}; the details are in the server log)` : what;
}

/**
 * For errors that are stored or passed on (a fleet's error, a run's): a 4xx PuduError is
 * already meant for the client and stays as it is; anything else is logged under a new id
 * and replaced by a PuduError with the same code and the public sentence.
 */
export function publicError(e: unknown, log: (msg: string) => void, context: string): PuduError {
  const code: ErrorCode = e instanceof PuduError ? e.code : 'INTERNAL';
  if (e instanceof PuduError && ERROR_CODES[code] < 500) return e;
  const errorId = randomBytes(6).toString('hex');
  log(`error ${errorId} ${context}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  return new PuduError(code, publicDetail(code, errorId), { errorId });
}
