/**
 * The server's durable state behind one interface: SQLite (default) or PostgreSQL.
 * Nothing the server needs after a restart lives only in memory.
 */
import type { AuditEntry } from '@pudu/schema';
import type { SqlDb } from './sql-db.ts';

export interface TokenRecord {
  id: string;
  name: string;
  /** A built-in role or one the policy defines (resolved at every request). */
  role: string;
  /** human (12 h by default), trainee (ends with its run), service (explicit expiry). */
  kind: 'human' | 'trainee' | 'service';
  /** The person behind it: approvals count people, not tokens. */
  user: string;
  /** Groups (from SSO or given at creation) that policy rules may name. */
  groups: string[];
  runId: string | null;
  expiresAt: string;
  /** sha256 of the secret part, hex. */
  secretHash: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface FleetRecord {
  id: string;
  state: 'creating' | 'ready' | 'failed' | 'deleting' | 'deleted';
  runId: string | null;
  createdAt: string;
  /** Everything else (driver, vms, tiers, boot time, error) as one JSON document. */
  doc: Record<string, unknown>;
}

export interface RunRecord {
  id: string;
  state: string;
  createdAt: string;
  doc: Record<string, unknown>;
}

export interface EventRecord {
  seq: number;
  runId: string;
  at: string;
  kind: string;
  data: Record<string, unknown>;
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at'>;

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** The SQL surface itself, for features that keep their own tables (recordings, metric history). */
  readonly db: SqlDb;
  migrate(): Promise<void>;
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;

  insertToken(t: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | null>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: string, at: string): Promise<void>;
  countTokens(): Promise<number>;

  /** Stores a new fleet; false (and nothing written) when its id is taken already. */
  insertFleet(f: FleetRecord): Promise<boolean>;
  /** Updates a fleet stored before. */
  putFleet(f: FleetRecord): Promise<void>;
  getFleet(id: string): Promise<FleetRecord | null>;
  listFleets(): Promise<FleetRecord[]>;

  /** Stores a new run; false (and nothing written) when its id is taken already. */
  insertRun(r: RunRecord): Promise<boolean>;
  /** Updates a run stored before (its state and document); a run deleted meanwhile stays deleted. */
  putRun(r: RunRecord): Promise<void>;
  getRun(id: string): Promise<RunRecord | null>;
  listRuns(): Promise<RunRecord[]>;

  /** Removes a run and its events (features with their own tables delete theirs first). */
  deleteRun(id: string): Promise<void>;

  appendEvent(e: Omit<EventRecord, 'seq'>): Promise<EventRecord>;
  listEvents(runId: string, afterSeq: number): Promise<EventRecord[]>;

  /** Append-only: there is no update or delete, and the database refuses them too. */
  appendAudit(a: AuditInput): Promise<AuditEntry>;
  listAudit(limit: number, beforeId?: number): Promise<AuditEntry[]>;

  close(): Promise<void>;
}
