/**
 * Which server replica runs the run loops. Every replica serves the API; exactly one — the
 * leader — runs the clocks, faults, fleets and background work, and the others forward
 * what needs it (forward.ts).
 *
 * On PostgreSQL the leader is whoever holds a session-level advisory lock on a connection
 * of its own. The lock lives exactly as long as that database session: a leader killed
 * with -9 has its socket closed by the kernel, PostgreSQL ends the session and the lock is
 * free at once; a leader whose host vanishes is cut off by TCP keepalives. Followers try
 * the lock every `pollMs`. A leader checks its session every `pollMs` too: when it is gone
 * (the database restarted, the network dropped it) another replica may already lead, so it
 * stops at once (`onLost`: the CLI exits and its service manager restarts it as a follower).
 * On SQLite there is one server per data directory: it leads from the start (server.ts).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Store } from '../store/store.ts';

/** Key of the advisory lock the leader holds ("pudu" + 1). */
export const LEADER_LOCK_KEY = 0x70756476;
const LEADER_META_KEY = 'leader';
const DEFAULT_POLL_MS = 1000;
/** A check of the leader's own session that takes longer than this counts as lost. */
const SESSION_CHECK_TIMEOUT_MS = 3000;
const KEEPALIVE_DELAY_MS = 5000;

export interface LeaderInfo {
  /** This replica's id: host, pid and a random part (a restarted process is a new replica). */
  id: string;
  /** Where the other replicas forward to. */
  url: string;
  since: string;
}

export interface Leadership {
  readonly replicaId: string;
  isLeader(): boolean;
  /** The current leader as it announced itself in the store (null: none yet, or an election is on). */
  leader(): Promise<LeaderInfo | null>;
  /** Resolves once this replica leads (at once on SQLite). */
  elected(): Promise<void>;
  stop(): Promise<void>;
}

export function newReplicaId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export interface PgLeadershipOptions {
  url: string;
  /** This replica's id (newReplicaId()); the forwarder marks requests with it. */
  replicaId: string;
  store: Store;
  /** What the other replicas call to reach this one (its advertised URL). */
  advertiseUrl: string;
  pollMs?: number;
  log: (msg: string) => void;
  /** Leadership was lost after it was won: stop leading now. */
  onLost: (why: string) => void;
}

/** Leader election over a PostgreSQL advisory lock (see the file comment). */
export function pgLeadership(o: PgLeadershipOptions): Leadership {
  const replicaId = o.replicaId;
  const pollMs = o.pollMs ?? DEFAULT_POLL_MS;
  let client: InstanceType<typeof pg.Client> | null = null;
  let leading = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveElected: () => void = () => undefined;
  const elected = new Promise<void>((r) => (resolveElected = r));

  const drop = async (): Promise<void> => {
    const c = client;
    client = null;
    await c?.end().catch(() => undefined);
  };
  const lose = (why: string): void => {
    if (!leading || stopped) return;
    leading = false;
    // It does not stand again: its loops may still run, and elected() has already fired.
    stopped = true;
    clearTimeout(timer);
    o.log(`leader: lost the leadership (${why}); stopping the run loops`);
    void drop();
    o.onLost(why);
  };
  const connect = async (): Promise<InstanceType<typeof pg.Client>> => {
    const c = new pg.Client({ connectionString: o.url, keepAlive: true, keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS, application_name: `pudu-leader ${replicaId}`.slice(0, 63) });
    c.on('error', (e: Error) => lose(`its database session failed: ${e.message}`));
    c.on('end', () => lose('its database session ended'));
    await c.connect();
    return c;
  };
  const tick = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (!client) client = await connect();
      if (leading) {
        await Promise.race([
          client.query('SELECT 1'),
          new Promise((_, rej) => setTimeout(() => rej(new Error(`no answer within ${SESSION_CHECK_TIMEOUT_MS} ms`)), SESSION_CHECK_TIMEOUT_MS)),
        ]);
        return;
      }
      const r = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [LEADER_LOCK_KEY]);
      if ((r.rows[0] as { locked?: boolean } | undefined)?.locked) {
        leading = true;
        const info: LeaderInfo = { id: replicaId, url: o.advertiseUrl, since: new Date().toISOString() };
        await o.store.setMeta(LEADER_META_KEY, JSON.stringify(info));
        o.log(`leader: this replica (${replicaId}) leads; the others forward to ${o.advertiseUrl}`);
        resolveElected();
      }
    } catch (e) {
      if (leading) lose(`its database session does not answer: ${(e as Error).message}`);
      else await drop();
    } finally {
      if (!stopped) timer = setTimeout(() => void tick(), pollMs);
    }
  };
  void tick();

  return {
    replicaId,
    isLeader: () => leading,
    async leader() {
      const text = await o.store.getMeta(LEADER_META_KEY);
      if (!text) return null;
      const info = JSON.parse(text) as LeaderInfo;
      return info;
    },
    elected: () => elected,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      leading = false;
      // Ending the session frees the lock: a follower takes over within its poll.
      await drop();
    },
  };
}
