/**
 * Ids of records kept with their audit trail (fleets, runs): 48 random bits, and a new record
 * is only ever inserted — a drawn id that is taken already draws another instead of
 * overwriting the old record.
 */
import { randomBytes } from 'node:crypto';
import { PuduError } from '@pudu/schema';

const ID_BYTES = 6;
const ATTEMPTS = 5;

/** `prefix` + 12 hex digits. */
export function newRecordId(prefix: string): string {
  return `${prefix}${randomBytes(ID_BYTES).toString('hex')}`;
}

/** Builds a record under a fresh id and inserts it; `insert` answers false when the id is taken. */
export async function insertUnderFreshId<T>(prefix: string, what: string, build: (id: string) => T, insert: (rec: T) => Promise<boolean>): Promise<T> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const rec = build(newRecordId(prefix));
    if (await insert(rec)) return rec;
  }
  throw new PuduError('INTERNAL', `no free ${what} id after ${ATTEMPTS} attempts`);
}
