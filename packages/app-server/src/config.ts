/** Settings of the demo app-server, read from the environment (/etc/default/app-server in the guest). */
export interface AppConfig {
  host: string;
  port: number;
  logDir: string;
  /** Upper bound of the Postgres pool: the knob a "connection pool exhausted" incident turns on. */
  poolMax: number;
  /** How long a request waits for a pool connection before answering 503. */
  poolWaitMs: number;
  /**
   * Pooled connections are recycled after this many seconds, as production pools do; so a
   * change in where the database name points (DNS, /etc/hosts) reaches the app within it.
   */
  poolMaxLifetimeS: number;
  /**
   * null: the scenario gives this app no database (PGHOST set and empty): /healthz is 200
   * with `db: "none"`, the item routes answer 503 saying so.
   */
  pg: { host: string; port: number; user: string; database: string; password?: string } | null;
}

function intFrom(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`app-server: ${key}=${raw} is not a positive integer`);
  return n;
}

/** Reads the config from environment variables, with the guest image's defaults. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    host: env.APP_HOST ?? '127.0.0.1',
    port: intFrom(env, 'APP_PORT', 3000),
    logDir: env.APP_LOG_DIR ?? '/var/log/app',
    poolMax: intFrom(env, 'APP_DB_POOL_MAX', 10),
    poolWaitMs: intFrom(env, 'APP_DB_POOL_WAIT_MS', 2000),
    poolMaxLifetimeS: intFrom(env, 'APP_DB_CONN_MAX_LIFETIME_S', 15),
    pg: env.PGHOST === '' ? null : {
      host: env.PGHOST ?? '127.0.0.1',
      port: intFrom(env, 'PGPORT', 5432),
      user: env.PGUSER ?? 'postgres',
      database: env.PGDATABASE ?? 'postgres',
      ...(env.PGPASSWORD ? { password: env.PGPASSWORD } : {}),
    },
  };
}
