/**
 * `pudu token create|list|revoke|reset-admin`, run on the server's host against its database
 * (the same settings as `pudu server`: --config, --data-dir, --database). Whoever can read
 * the database can already do anything, so this is how a lost or expired admin token is
 * replaced: the admin token is no longer unrecoverable.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { PuduError, parseDurationMs } from '@pudu/schema';
import { loadConfig } from '../config-load.ts';
import { openStore } from '../store/sql-store.ts';
import type { Store } from '../store/store.ts';
import { createToken, tokenInfo } from './tokens.ts';

interface StoreOpts { config?: string; dataDir?: string; database?: string }

async function withStore<T>(o: StoreOpts, fn: (store: Store) => Promise<T>): Promise<T> {
  const flags: Record<string, unknown> = {};
  if (o.dataDir) flags.data_dir = o.dataDir;
  if (o.database) flags.database = o.database;
  const c = loadConfig({ file: o.config, env: process.env, flags }).config;
  const store = await openStore(c.database ?? join(c.data_dir, 'pudu.db'));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function storeOptions(c: Command): Command {
  return c
    .option('--config <file>', 'settings file (default /etc/pudu/pudu.yaml; PUDU_CONFIG)')
    .option('--data-dir <dir>', 'state directory of the server (its pudu.db)')
    .option('--database <url>', 'SQLite file or postgres://… (as the server uses)')
    .option('--json', 'machine-readable output');
}

function ttlOption(v: string): number {
  const ms = parseDurationMs(v);
  if (ms === null) throw new PuduError('BAD_REQUEST', `--ttl must be like 30m, 12h or 90d, got ${v}`);
  return ms;
}

/** Adds `pudu token …` to the host CLI. */
export function addTokenCommand(program: Command): void {
  const token = program.command('token').description('tokens on this host\'s database: create, list, revoke, reset the admin token');

  storeOptions(token.command('create').description('create a token and print it once'))
    .requiredOption('--role <role>', 'built-in role (admin, instructor, engineer, observer) or a policy role')
    .option('--name <name>', 'label shown in lists')
    .option('--user <person>', 'the person it belongs to (approvals count people)')
    .option('--group <group>', 'a group of that person (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--service', 'a service token (needs --ttl)')
    .option('--ttl <lifetime>', 'lifetime like 30m, 12h, 90d (human default 12h)', ttlOption)
    .action(async (o: StoreOpts & { role: string; name?: string; user?: string; group: string[]; service?: boolean; ttl?: number; json?: boolean }) => {
      if (o.role === 'trainee') throw new PuduError('BAD_REQUEST', 'trainee tokens come with their run');
      const { record, token: secret } = await withStore(o, (store) => createToken(store, {
        role: o.role, kind: o.service ? 'service' : 'human', name: o.name, user: o.user, groups: o.group, ttlMs: o.ttl,
      }));
      if (o.json) console.log(JSON.stringify({ ...tokenInfo(record), token: secret }, null, 2));
      else console.log(`${secret}\n(token ${record.id}, role ${record.role}, ${record.kind}, expires ${record.expiresAt}; shown once)`);
    });

  storeOptions(token.command('list').description('every token: role, kind, person, expiry, revoked (never the secret)'))
    .action(async (o: StoreOpts & { json?: boolean }) => {
      const rows = (await withStore(o, (store) => store.listTokens())).map(tokenInfo);
      if (o.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      const now = Date.now();
      for (const t of rows) {
        const state = t.revokedAt ? 'revoked' : Date.parse(t.expiresAt) <= now ? 'expired' : 'active';
        console.log(`${t.id}  ${t.role.padEnd(10)} ${t.kind.padEnd(7)} ${state.padEnd(7)} expires ${t.expiresAt}  ${t.name}${t.user !== t.name ? ` (${t.user})` : ''}${t.runId ? ` run ${t.runId}` : ''}`);
      }
    });

  storeOptions(token.command('revoke').description('revoke a token by id').argument('<id>'))
    .action(async (id: string, o: StoreOpts) => {
      await withStore(o, async (store) => {
        if (!(await store.getToken(id))) throw new PuduError('NOT_FOUND', `no token ${id}`);
        await store.revokeToken(id, new Date().toISOString());
        await store.appendAudit({ actor: 'pudu token (host)', role: 'system', action: 'token.revoke', target: `token ${id}`, result: 'ok', detail: 'revoked on the host' });
      });
      console.log(`token ${id} revoked`);
    });

  storeOptions(token.command('reset-admin').description('revoke every token named admin and print a new admin token (12 h)'))
    .action(async (o: StoreOpts & { json?: boolean }) => {
      const { record, token: secret, revoked } = await withStore(o, async (store) => {
        const old = (await store.listTokens()).filter((t) => t.name === 'admin' && t.role === 'admin' && !t.revokedAt);
        const at = new Date().toISOString();
        for (const t of old) await store.revokeToken(t.id, at);
        const made = await createToken(store, { role: 'admin', name: 'admin' });
        await store.appendAudit({ actor: 'pudu token (host)', role: 'system', action: 'token.reset-admin', target: `token ${made.record.id}`, result: 'ok', detail: `revoked ${old.length} admin token(s)` });
        return { ...made, revoked: old.length };
      });
      if (o.json) console.log(JSON.stringify({ ...tokenInfo(record), token: secret, revoked }, null, 2));
      else console.log(`${secret}\n(new admin token ${record.id}, expires ${record.expiresAt}; ${revoked} old admin token(s) revoked)`);
    });
}
