/**
 * The slice of `pg` the app-server uses, typed locally: @types/pg is not a dependency,
 * and another package's ambient `declare module 'pg'` must not decide our types.
 */
import pgModule from 'pg';

export interface PgQueryResult { rows: Record<string, unknown>[] }
export interface PgClient {
  query(sql: string, params?: unknown[]): Promise<PgQueryResult>;
  release(): void;
}
export interface PgPool {
  connect(): Promise<PgClient>;
  end(): Promise<void>;
  on(event: 'error', fn: (e: Error) => void): void;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}
export interface PgPoolOptions {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
  max: number;
  connectionTimeoutMillis: number;
  idleTimeoutMillis: number;
  /** Connections are replaced after this long even when busy (pg-pool's maxLifetimeSeconds). */
  maxLifetimeSeconds: number;
}

/** Creates a pg Pool with the given options. */
export function createPgPool(opts: PgPoolOptions): PgPool {
  const { Pool } = pgModule as unknown as { Pool: new (o: PgPoolOptions) => PgPool };
  return new Pool(opts);
}
