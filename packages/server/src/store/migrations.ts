/**
 * Schema migrations, applied in order and recorded in `schema_version`. The audit table
 * is append-only in the database itself: triggers refuse UPDATE and DELETE.
 */
export interface Migration {
  version: number;
  sqlite: string;
  postgres: string;
}

const COMMON_TABLES = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, run_id TEXT,
  secret_hash TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS fleets (
  id TEXT PRIMARY KEY, state TEXT NOT NULL, run_id TEXT, created_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, state TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
`;

/** Issue 14's tables; only the auto-numbered key differs between the two databases. */
function learningTables(autoKey: string): string {
  return `
CREATE TABLE IF NOT EXISTS recordings (
  id TEXT PRIMARY KEY, run_id TEXT NOT NULL, vm TEXT NOT NULL, opened_by TEXT NOT NULL, role TEXT NOT NULL,
  started_at TEXT NOT NULL, ended_at TEXT, bytes INTEGER NOT NULL, truncated INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS recordings_run ON recordings (run_id);
CREATE TABLE IF NOT EXISTS recording_chunks (
  seq ${autoKey}, recording_id TEXT NOT NULL, run_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS recording_chunks_rec ON recording_chunks (recording_id, seq);
CREATE TABLE IF NOT EXISTS metric_samples (
  run_id TEXT NOT NULL, vm TEXT NOT NULL, t_ms BIGINT NOT NULL, cpu REAL NOT NULL, mem REAL NOT NULL,
  disk REAL NOT NULL, disk_free REAL NOT NULL, load1 REAL NOT NULL);
CREATE INDEX IF NOT EXISTS metric_samples_run ON metric_samples (run_id, vm, t_ms);
`;
}

const RUN_NOTES_TABLE = `
CREATE TABLE IF NOT EXISTS run_notes (
  run_id TEXT PRIMARY KEY, trainee TEXT NOT NULL, instructor TEXT NOT NULL, updated_at TEXT, updated_by TEXT);
`;

const WEBHOOK_TABLES = `
CREATE TABLE IF NOT EXISTS webhooks (id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, url TEXT NOT NULL, kind TEXT NOT NULL, run_id TEXT, state TEXT NOT NULL,
  attempts INTEGER NOT NULL, last_status INTEGER, last_error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS webhook_deliveries_created ON webhook_deliveries (created_at);
`;

const GAMEDAY_TABLE = `
CREATE TABLE IF NOT EXISTS gamedays (id TEXT PRIMARY KEY, state TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
`;

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    sqlite: `${COMMON_TABLES}
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_run ON events (run_id, seq);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
  action TEXT NOT NULL, target TEXT NOT NULL, result TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
`,
    postgres: `${COMMON_TABLES}
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, run_id TEXT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_run ON events (run_id, seq);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
  action TEXT NOT NULL, target TEXT NOT NULL, result TEXT NOT NULL, detail TEXT NOT NULL);
CREATE OR REPLACE FUNCTION pudu_audit_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_append_only ON audit;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION pudu_audit_append_only();
`,
  },
  {
    // Learning loop (issue 14): terminal recordings and per-VM metric history of a run.
    // Versions 14xx are that issue's, so parallel branches adding migrations never collide.
    version: 1401,
    sqlite: learningTables('INTEGER PRIMARY KEY AUTOINCREMENT'),
    postgres: learningTables('INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY'),
  },
  {
    version: 1402,
    sqlite: RUN_NOTES_TABLE,
    postgres: RUN_NOTES_TABLE,
  },
  {
    version: 1403,
    sqlite: WEBHOOK_TABLES,
    postgres: WEBHOOK_TABLES,
  },
  {
    // Governance (issue 13): token expiry, kind, person and groups; experiments. Old tokens get 12 h from
    // the upgrade, like a new human token (the token module's 12 h default).
    version: 1301,
    sqlite: `
ALTER TABLE tokens ADD COLUMN kind TEXT;
ALTER TABLE tokens ADD COLUMN user_name TEXT;
ALTER TABLE tokens ADD COLUMN groups TEXT;
ALTER TABLE tokens ADD COLUMN expires_at TEXT;
UPDATE tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+12 hours') WHERE expires_at IS NULL;
CREATE TABLE IF NOT EXISTS experiments (id TEXT PRIMARY KEY, state TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
`,
    postgres: `
ALTER TABLE tokens ADD COLUMN IF NOT EXISTS kind TEXT;
ALTER TABLE tokens ADD COLUMN IF NOT EXISTS user_name TEXT;
ALTER TABLE tokens ADD COLUMN IF NOT EXISTS groups TEXT;
ALTER TABLE tokens ADD COLUMN IF NOT EXISTS expires_at TEXT;
UPDATE tokens SET expires_at = to_char((now() + interval '12 hours') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') WHERE expires_at IS NULL;
CREATE TABLE IF NOT EXISTS experiments (id TEXT PRIMARY KEY, state TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
`,
  },
  {
    version: 1404,
    sqlite: GAMEDAY_TABLE,
    postgres: GAMEDAY_TABLE,
  },
];
