// Minimal typing of the part of `pg` the store uses (@types/pg is not a dependency).
declare module 'pg' {
  interface QueryResult { rows: unknown[] }
  interface PoolClient { release(): void; query(sql: string, params?: unknown[]): Promise<QueryResult> }
  export class Pool {
    constructor(opts: { connectionString: string; max?: number });
    connect(): Promise<PoolClient>;
    query(sql: string, params?: unknown[]): Promise<QueryResult>;
    end(): Promise<void>;
    on(event: 'error', fn: (e: Error) => void): this;
  }
  /** One connection outside the pool (the leader's lock lives as long as it does). */
  export class Client {
    constructor(opts: { connectionString: string; keepAlive?: boolean; keepAliveInitialDelayMillis?: number; application_name?: string });
    connect(): Promise<void>;
    query(sql: string, params?: unknown[]): Promise<QueryResult>;
    end(): Promise<void>;
    on(event: 'error', fn: (e: Error) => void): this;
    on(event: 'end', fn: () => void): this;
  }
  const pg: { Pool: typeof Pool; Client: typeof Client };
  export default pg;
}
