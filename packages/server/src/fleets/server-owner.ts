/**
 * Whose VMs these are: a server's VMs belong to its database, so a server restarted on the
 * same database adopts them (drivers with persistent VMs). The id is a hash (a postgres URL
 * holds a password); a SQLite file's path is kept too: when that file is gone the owner can
 * never come back, and its VMs may be reaped.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

export interface ServerOwner {
  id: string;
  storePath?: string;
}

/** The owner of the VMs of a server on `database` (SQLite file or postgres:// URL). */
export function serverOwner(database: string): ServerOwner {
  const isUrl = /^postgres(ql)?:\/\//.test(database);
  const where = isUrl ? database : resolve(database);
  return { id: `pudu-server:${createHash('sha256').update(where).digest('hex').slice(0, 32)}`, ...(isUrl ? {} : { storePath: where }) };
}
