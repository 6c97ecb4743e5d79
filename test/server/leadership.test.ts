/**
 * The leader election on a real PostgreSQL (leader/leadership.ts): one leader at a time, a
 * follower takes over when the leader's session ends, and a leader whose session the
 * database ends (a restart, an admin's pg_terminate_backend) is told at once that it lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openStore } from '../../packages/server/src/store/sql-store.ts';
import { newReplicaId, pgLeadership, type Leadership } from '../../packages/server/src/leader/leadership.ts';
import { postgresSkipReason, startPostgres } from './postgres-instance.ts';
import { waitFor } from './vm-shell.ts';

test('one leader at a time; when the database ends the leader\'s session it is told it lost and the other replica leads', { skip: postgresSkipReason(), timeout: 120_000 }, async (t) => {
  const pgi = await startPostgres();
  // Undone last in, first out: the replicas and clients before the database they use.
  const undo: (() => Promise<unknown>)[] = [() => pgi.stop()];
  t.after(async () => {
    for (const fn of undo.reverse()) await fn().catch(() => undefined);
  });
  const store = await openStore(pgi.url);
  undo.push(() => store.close());
  const lost: string[] = [];
  const make = (name: string): Leadership => {
    const l = pgLeadership({ url: pgi.url, replicaId: `${name}-${newReplicaId()}`, store, advertiseUrl: `http://${name}.test:1`, pollMs: 100, log: () => undefined, onLost: (why) => lost.push(`${name}: ${why}`) });
    undo.push(() => l.stop());
    return l;
  };
  const a = make('a');
  await a.elected();
  const b = make('b');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(a.isLeader(), true);
  assert.equal(b.isLeader(), false, 'two leaders at once');
  assert.equal((await b.leader())?.url, 'http://a.test:1', 'the follower finds the leader through the store');

  const admin = new pg.Client({ connectionString: pgi.url });
  admin.on('error', () => undefined);
  await admin.connect();
  undo.push(() => admin.end());
  const r = await admin.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name LIKE 'pudu-leader a-%'");
  assert.deepEqual(r.rows, [{ ok: true }], 'the leader holds its lock on a session of its own');
  await waitFor('the old leader to be told', async () => (lost.length ? true : undefined), 10_000, 20);
  assert.match(lost[0]!, /^a: its database session/);
  assert.equal(a.isLeader(), false);
  await waitFor('the other replica to lead', async () => (b.isLeader() ? true : undefined), 10_000, 20);
  assert.equal((await b.leader())?.url, 'http://b.test:1');
  assert.equal(lost.length, 1, lost.join('; '));
});
