import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { leaderboardCsv, rankEntries, type Entry } from './leaderboard.ts';
import { namesFromCsv } from './gameday-manager.ts';

const e = (name: string, state: string, score: number | null, resolvedAtMs: number | null, hintsUsed = 0): Entry => ({ name, runId: `r-${name}`, state, score, resolvedAtMs, hintsUsed, integrityFlags: 0 });

test('the leaderboard ranks resolved runs by score, ties by time then hints; the rest follow unranked', () => {
  const rows = rankEntries([
    e('dora', 'running', 80, null), e('ana', 'resolved', 90, 120_000, 1), e('bo', 'resolved', 95, 200_000),
    e('cy', 'resolved', 90, 100_000, 2), e('eve', 'aborted', null, null), e('fay', 'resolved', 90, 100_000, 1),
  ]);
  assert.deepEqual(rows.map((r) => [r.rank, r.name]), [[1, 'bo'], [2, 'fay'], [3, 'cy'], [4, 'ana'], [null, 'dora'], [null, 'eve']]);
  assert.equal(rows[4]!.score, null, 'a live run\'s provisional score is not on the board');
});

test('the CSV export quotes what needs quoting and reads back', () => {
  const csv = leaderboardCsv(rankEntries([e('Smith, Jo "JJ"', 'resolved', 91.5, 61_230)]));
  const back = parse(csv) as string[][];
  assert.deepEqual(back[0], ['rank', 'name', 'run', 'state', 'score', 'resolved_s', 'hints', 'integrity_flags']);
  assert.deepEqual(back[1], ['1', 'Smith, Jo "JJ"', 'r-Smith, Jo "JJ"', 'resolved', '91.5', '61.23', '0', '0']);
});

test('trainee names come from a CSV with a name column, or one per line', () => {
  assert.deepEqual(namesFromCsv('email,name\na@x,Ana\nb@x,"Bo, Jr."\n\n'), ['Ana', 'Bo, Jr.']);
  assert.deepEqual(namesFromCsv('Ana\nBo\n'), ['Ana', 'Bo']);
});
