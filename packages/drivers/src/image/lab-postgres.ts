/**
 * The lab database: trusts the fleet (isolated by the host firewall), has few slots, and
 * the app connects as a role that is not a superuser. The last two make connection
 * exhaustion real: once ordinary roles hold every non-reserved slot, Postgres refuses the
 * app with "remaining connection slots are reserved…" while an admin can still get in.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../util/exec.ts';

export const PG_VERSION = '15';
export const PG_CONF_PATH = `/etc/postgresql/${PG_VERSION}/main/conf.d/pudu.conf`;
export const PG_CONF = `listen_addresses = '*'
max_connections = 40
shared_buffers = 16MB
# Who was refused or connected, in the log a trainee reads (application name included).
log_line_prefix = '%m [%p] %q%u@%d %a '
log_connections = off
`;

/** Lines prepended to pg_hba.conf. */
export const PG_HBA_PREPEND = `host all all 127.0.0.1/32 trust
host all all 0.0.0.0/0 trust
`;

/** The app's own role and database (the app-server connects as PGUSER=app, PGDATABASE=app). */
export const PG_LAB_SQL = `CREATE ROLE app LOGIN;
CREATE DATABASE app OWNER app;
`;

/**
 * Applies the above to a Debian root with postgresql-15 installed and its main cluster
 * created. Roles are created in single-user mode: no server, no socket, works in a chroot.
 */
export async function setupLabPostgres(root: string): Promise<void> {
  writeFileSync(join(root, PG_CONF_PATH), PG_CONF);
  const hba = join(root, `etc/postgresql/${PG_VERSION}/main/pg_hba.conf`);
  const current = readFileSync(hba, 'utf8');
  if (!current.startsWith(PG_HBA_PREPEND)) writeFileSync(hba, PG_HBA_PREPEND + current);
  const single = `/usr/lib/postgresql/${PG_VERSION}/bin/postgres --single -D /var/lib/postgresql/${PG_VERSION}/main -c config_file=/etc/postgresql/${PG_VERSION}/main/postgresql.conf postgres`;
  const r = await run('chroot', [root, 'su', 'postgres', '-s', '/bin/sh', '-c', single], { input: PG_LAB_SQL });
  // Single-user mode reports SQL errors on stdout/stderr yet exits 0.
  const out = `${r.stdout}\n${r.stderr}`;
  if (/\bERROR:/.test(out) && !/already exists/.test(out)) throw new Error(`setting up the lab database failed: ${out.trim()}`);
}
