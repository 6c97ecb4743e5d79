/**
 * Issue 14, acceptance 4 on real VMs: a game day of 6 trainees on a server whose host budget
 * is 5 VMs (`--capacity vms=5`, this 2-core machine): 5 fleets start, the 6th queues; 3 trainees solve; the leaderboard
 * ranks them (ties by time) and exports as CSV; when a run ends the queued trainee starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { sandboxSkipReason, startSandboxServer } from './sandbox-server.ts';
import { sshExec, waitFor } from './vm-shell.ts';
import { startReceiver } from './webhook-receiver.ts';

const SOLVE = 'big=$(du -xa / 2>/dev/null | sort -rn | awk \'$2 ~ /\\.log$/ {print $2; exit}\'); rm -f "$big"; df -h /';

test('a game day of 6 on a 5-VM budget: 5 fleets, the 6th queued until a run ends; leaderboard after 3 solve, CSV export', { skip: sandboxSkipReason(), timeout: 900_000 }, async (t) => {
  const s = await startSandboxServer(t, { capacity: { vms: 5 } });
  const admin = s.client();
  const rx = await startReceiver();
  t.after(() => rx.close());
  await admin.createWebhook({ url: rx.url, events: ['gameday.started'], secret: 'gameday-secret-0123456' });

  const { gameday, invites } = await admin.createGameDay({ name: 'Friday drill', scenario: 'monolith/disk-full', seed: 4242, csv: 'name,team\nAna,blue\nBo,blue\nCy,red\nDora,red\nEve,green\nFay,green\n' });
  assert.equal(invites.length, 6);
  const code = (name: string): string => invites.find((i) => i.name === name)!.code;
  s.defer(async () => {
    for (const tr of (await admin.getGameDay(gameday.id)).trainees) if (tr.runId) await admin.abortRun(tr.runId).catch(() => undefined);
  });

  // Before the start an invite is valid but there is nothing to join yet; a wrong code is refused.
  const early = await s.client('').joinGameDay(gameday.id, code('Ana'));
  assert.deepEqual([early.state, early.token], ['invited', null]);
  await assert.rejects(s.client('').joinGameDay(gameday.id, 'not-a-valid-code-at-all'), (e: { status: number }) => e.status === 403);

  const board = await admin.startGameDay(gameday.id);
  const states = board.trainees.map((x) => [x.name, x.state, x.queuePosition]);
  console.log(`# after start: ${JSON.stringify(states)}`);
  assert.deepEqual(states.filter(([, st]) => st === 'running').length, 5, 'five fleets start');
  assert.deepEqual(states.find(([n]) => n === 'Fay'), ['Fay', 'queued', 1], 'the sixth is queued, first in line');
  await waitFor('gameday.started', async () => (rx.received.some((r) => JSON.parse(r.body).kind === 'gameday.started') ? true : undefined), 10_000);
  const runIds = board.trainees.filter((x) => x.runId).map((x) => x.runId!);
  assert.equal(new Set(runIds).size, 5);
  for (const id of runIds) assert.equal((await admin.getRun(id)).seed, 4242, 'the same seed for everyone');

  // Three trainees join with their links and solve, one after the other.
  const solvers = ['Cy', 'Ana', 'Bo'];
  for (const name of solvers) {
    const joined = await s.client('').joinGameDay(gameday.id, code(name));
    assert.equal(joined.state, 'running');
    assert.ok(joined.token && joined.runId);
    const mine = s.client(joined.token);
    const run = await waitFor(`${name}'s incident`, async () => {
      const r = await mine.getRun(joined.runId!);
      return r.state === 'running' && r.objectives.some((o) => !o.passing) && r.vms.length ? r : undefined;
    }, 300_000, 500);
    const vm = run.vms[0]!;
    await sshExec(vm.guestIp, vm.hostLink, SOLVE);
    await waitFor(`${name}'s run to resolve`, async () => ((await mine.getRun(joined.runId!)).state === 'resolved' ? true : undefined), 60_000, 250).catch(async (e: Error) => {
      const r = await admin.getRun(joined.runId!);
      throw new Error(`${e.message}; state ${r.state}, objectives ${JSON.stringify(r.objectives)}`);
    });
    // The fleet stays for the review after a fix (default 5 m); the trainee says they are done.
    await mine.endReview(joined.runId!);
  }

  const lb = await admin.getLeaderboard(gameday.id);
  console.log(`# leaderboard: ${lb.rows.map((r) => `${r.rank ?? '-'} ${r.name} ${r.score ?? ''} ${r.resolvedAtMs ?? ''}`).join(' | ')}`);
  const ranked = lb.rows.filter((r) => r.rank !== null);
  assert.deepEqual(ranked.map((r) => r.name).sort(), [...solvers].sort());
  for (let i = 1; i < ranked.length; i++) {
    const [a, b] = [ranked[i - 1]!, ranked[i]!];
    assert.ok(a.score! > b.score! || (a.score === b.score && a.resolvedAtMs! <= b.resolvedAtMs!), 'ranked by score, ties by time');
  }
  const csv = parse(await admin.getLeaderboardCsv(gameday.id)) as string[][];
  assert.deepEqual(csv[0], ['rank', 'name', 'run', 'state', 'score', 'resolved_s', 'hints', 'integrity_flags']);
  assert.deepEqual(csv.slice(1, 4).map((r) => r[1]), ranked.map((r) => r.name));
  assert.equal(csv.length, 7);

  // The three solved runs freed their fleets: the queued trainee has started by now.
  const fay = await waitFor('Fay to start', async () => {
    const tr = (await admin.getGameDay(gameday.id)).trainees.find((x) => x.name === 'Fay')!;
    return tr.state === 'running' && tr.runId ? tr : undefined;
  }, 60_000, 500);
  assert.equal(fay.queuePosition, null);
  const finalBoard = await admin.getGameDay(gameday.id);
  assert.deepEqual(finalBoard.trainees.filter((x) => x.state === 'finished').map((x) => x.name).sort(), [...solvers].sort());
});
