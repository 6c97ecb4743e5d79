import type { AuditEntry } from '@pudu/schema';
import { PuduError } from '@pudu/schema';
import type { SqlDb } from './sql-db.ts';
import type { AuditInput, EventRecord, FleetRecord, RunRecord, Store, TokenRecord } from './store.ts';
import { MIGRATIONS } from './migrations.ts';
import { openSqliteDb } from './sqlite-db.ts';
import { openPgDb } from './pg-db.ts';

type Row = Record<string, unknown>;

function tokenOf(r: Row): TokenRecord {
  return {
    id: String(r.id), name: String(r.name), role: String(r.role), runId: (r.run_id as string | null) ?? null,
    kind: (r.kind as TokenRecord['kind'] | null) ?? (r.run_id ? 'trainee' : 'human'), user: String(r.user_name ?? r.name),
    groups: r.groups ? (JSON.parse(String(r.groups)) as string[]) : [],
    // Tokens from before expiry existed end like new human tokens would (set at migration).
    expiresAt: String(r.expires_at ?? new Date(0).toISOString()),
    secretHash: String(r.secret_hash), createdAt: String(r.created_at), revokedAt: (r.revoked_at as string | null) ?? null,
  };
}

function auditOf(r: Row): AuditEntry {
  return {
    id: Number(r.id), at: String(r.at), actor: String(r.actor), role: String(r.role), action: String(r.action),
    target: String(r.target), result: r.result as AuditEntry['result'], detail: String(r.detail),
  };
}

function eventOf(r: Row): EventRecord {
  return { seq: Number(r.seq), runId: String(r.run_id), at: String(r.at), kind: String(r.kind), data: JSON.parse(String(r.data)) };
}

/** The store written once over the shared SQL surface of SQLite and PostgreSQL. */
export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  constructor(readonly db: SqlDb) {
    this.kind = db.dialect;
  }

  async migrate(): Promise<void> {
    await this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const done = new Set((await this.db.all<{ version: number }>('SELECT version FROM schema_version')).map((r) => Number(r.version)));
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await this.db.exec(this.db.dialect === 'sqlite' ? m.sqlite : m.postgres);
      await this.db.run('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', [m.version, new Date().toISOString()]);
    }
  }

  async getMeta(key: string): Promise<string | null> {
    const rows = await this.db.all<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]);
    return rows[0]?.value ?? null;
  }
  async setMeta(key: string, value: string): Promise<void> {
    await this.db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async insertToken(t: TokenRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO tokens (id, name, role, run_id, secret_hash, created_at, revoked_at, kind, user_name, groups, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [t.id, t.name, t.role, t.runId, t.secretHash, t.createdAt, t.revokedAt, t.kind, t.user, JSON.stringify(t.groups), t.expiresAt],
    );
  }
  async getToken(id: string): Promise<TokenRecord | null> {
    const rows = await this.db.all('SELECT * FROM tokens WHERE id = ?', [id]);
    return rows[0] ? tokenOf(rows[0]) : null;
  }
  async listTokens(): Promise<TokenRecord[]> {
    return (await this.db.all('SELECT * FROM tokens ORDER BY created_at')).map(tokenOf);
  }
  async revokeToken(id: string, at: string): Promise<void> {
    await this.db.run('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id]);
  }
  async countTokens(): Promise<number> {
    const rows = await this.db.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM tokens');
    return Number(rows[0]?.n ?? 0);
  }

  async insertFleet(f: FleetRecord): Promise<boolean> {
    const rows = await this.db.all(
      'INSERT INTO fleets (id, state, run_id, created_at, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id',
      [f.id, f.state, f.runId, f.createdAt, JSON.stringify(f.doc)],
    );
    return rows.length === 1;
  }
  async putFleet(f: FleetRecord): Promise<void> {
    await this.db.run('UPDATE fleets SET state = ?, run_id = ?, doc = ? WHERE id = ?', [f.state, f.runId, JSON.stringify(f.doc), f.id]);
  }
  async getFleet(id: string): Promise<FleetRecord | null> {
    const rows = await this.db.all('SELECT * FROM fleets WHERE id = ?', [id]);
    return rows[0] ? this.fleetOf(rows[0]) : null;
  }
  async listFleets(): Promise<FleetRecord[]> {
    return (await this.db.all('SELECT * FROM fleets ORDER BY created_at')).map((r) => this.fleetOf(r));
  }
  private fleetOf(r: Row): FleetRecord {
    return { id: String(r.id), state: r.state as FleetRecord['state'], runId: (r.run_id as string | null) ?? null, createdAt: String(r.created_at), doc: JSON.parse(String(r.doc)) };
  }

  async insertRun(r: RunRecord): Promise<boolean> {
    const rows = await this.db.all(
      'INSERT INTO runs (id, state, created_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id',
      [r.id, r.state, r.createdAt, JSON.stringify(r.doc)],
    );
    return rows.length === 1;
  }
  async putRun(r: RunRecord): Promise<void> {
    await this.db.run('UPDATE runs SET state = ?, doc = ? WHERE id = ?', [r.state, JSON.stringify(r.doc), r.id]);
  }
  async getRun(id: string): Promise<RunRecord | null> {
    const rows = await this.db.all('SELECT * FROM runs WHERE id = ?', [id]);
    return rows[0] ? this.runOf(rows[0]) : null;
  }
  async listRuns(): Promise<RunRecord[]> {
    return (await this.db.all('SELECT * FROM runs ORDER BY created_at')).map((r) => this.runOf(r));
  }
  private runOf(r: Row): RunRecord {
    return { id: String(r.id), state: String(r.state), createdAt: String(r.created_at), doc: JSON.parse(String(r.doc)) };
  }

  async deleteRun(id: string): Promise<void> {
    await this.db.run('DELETE FROM events WHERE run_id = ?', [id]);
    await this.db.run('DELETE FROM runs WHERE id = ?', [id]);
  }

  async appendEvent(e: Omit<EventRecord, 'seq'>): Promise<EventRecord> {
    const rows = await this.db.all('INSERT INTO events (run_id, at, kind, data) VALUES (?, ?, ?, ?) RETURNING *', [e.runId, e.at, e.kind, JSON.stringify(e.data)]);
    return eventOf(rows[0] as Row);
  }
  async listEvents(runId: string, afterSeq: number): Promise<EventRecord[]> {
    return (await this.db.all('SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq', [runId, afterSeq])).map(eventOf);
  }

  async appendAudit(a: AuditInput): Promise<AuditEntry> {
    const rows = await this.db.all(
      'INSERT INTO audit (at, actor, role, action, target, result, detail) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
      [new Date().toISOString(), a.actor, a.role, a.action, a.target, a.result, a.detail],
    );
    return auditOf(rows[0] as Row);
  }
  async listAudit(limit: number, beforeId?: number): Promise<AuditEntry[]> {
    const rows = beforeId === undefined
      ? await this.db.all('SELECT * FROM audit ORDER BY id DESC LIMIT ?', [limit])
      : await this.db.all('SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?', [beforeId, limit]);
    return rows.map(auditOf);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/**
 * Opens and migrates the store: `postgres://…` (or `postgresql://…`) selects PostgreSQL,
 * anything else is a SQLite file path.
 */
export async function openStore(database: string): Promise<Store> {
  let db: SqlDb;
  try {
    db = /^postgres(ql)?:\/\//.test(database) ? await openPgDb(database) : openSqliteDb(database);
  } catch (e) {
    if (e instanceof PuduError) throw e;
    throw new PuduError('INTERNAL', `cannot open database ${database.replace(/\/\/[^@]*@/, '//***@')}: ${(e as Error).message}`);
  }
  const store = new SqlStore(db);
  await store.migrate();
  return store;
}
