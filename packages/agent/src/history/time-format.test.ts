import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HISTORY_TIME_TOKENS } from '@pudu/schema';
import { renderLine, shiftPgTimes } from './time-format.ts';

const T = Date.parse('2026-11-21T23:12:04.567Z');

test('every time token a scenario may use renders as its documented example', () => {
  for (const [token, example] of Object.entries(HISTORY_TIME_TOKENS)) assert.equal(renderLine(token, T), example, token);
  assert.equal(renderLine('{iso} CHG-1042 {unknown}', T), '2026-11-21T23:12:04Z CHG-1042 {unknown}');
  assert.equal(renderLine('{syslog}', Date.parse('2026-11-01T01:02:03Z')), 'Nov  1 01:02:03', 'syslog pads the day with a space');
});

test('PostgreSQL log times move by the offset and keep their own precision', () => {
  const live = '2026-11-29 18:01:47.123 UTC [51] LOG:  database system was shut down at 2026-11-29 15:19:52 UTC\n';
  assert.equal(shiftPgTimes(live, -86_400_000 * 41), '2026-10-19 18:01:47.123 UTC [51] LOG:  database system was shut down at 2026-10-19 15:19:52 UTC\n');
});
