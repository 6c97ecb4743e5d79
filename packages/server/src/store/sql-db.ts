/**
 * The tiny SQL surface both databases share, so the store is written once.
 * Statements use `?` placeholders; the PostgreSQL adapter renumbers them to `$n`.
 */
export interface SqlDb {
  readonly dialect: 'sqlite' | 'postgres';
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  run(sql: string, params?: unknown[]): Promise<void>;
  /** Runs several statements (DDL) at once. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}
