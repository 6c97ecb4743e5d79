import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateCondition, formatDurationMs, parseCondition, parseDurationMs, parsePercent, parseRateBytesPerSecond, parseSizeBytes } from './units.ts';

test('parses every duration form the scenario language allows', () => {
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseDurationMs('0s'), 0);
  assert.equal(parseDurationMs('90s'), 90_000);
  assert.equal(parseDurationMs('1m'), 60_000);
  assert.equal(parseDurationMs('1h30m'), 5_400_000);
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('2h0m5s250ms'), 7_205_250);
  assert.equal(parseDurationMs('90d'), 90 * 86_400_000, 'token lifetimes use the same grammar');
});

test('rejects malformed durations instead of guessing', () => {
  for (const bad of ['', '10', '10x', '1.5s', '-1s', 's', '1s1m', 'ms', '1 m', '1h1d', 'd']) assert.equal(parseDurationMs(bad), null, bad);
});

test('formats durations back the way a trainer writes them', () => {
  assert.equal(formatDurationMs(0), '0s');
  assert.equal(formatDurationMs(90_000), '1m30s');
  assert.equal(formatDurationMs(5_400_000), '1h30m');
  assert.equal(formatDurationMs(500), '500ms');
});

test('parses percentages, sizes and rates as the seed writes them', () => {
  assert.equal(parsePercent('80%'), 80);
  assert.equal(parsePercent('12.5%'), 12.5);
  assert.equal(parsePercent('101%'), null);
  assert.equal(parsePercent('80'), null);
  assert.equal(parseSizeBytes('30mb'), 30 * 1024 * 1024);
  assert.equal(parseSizeBytes('1GB'), 1024 ** 3);
  assert.equal(parseRateBytesPerSecond('30mb/min'), (30 * 1024 * 1024) / 60);
  assert.equal(parseRateBytesPerSecond('512kb/s'), 512 * 1024);
  assert.equal(parseRateBytesPerSecond('30mb'), null);
  assert.equal(parseRateBytesPerSecond('30mb/fortnight'), null);
});

test('parses and evaluates every condition operator', () => {
  assert.deepEqual(parseCondition('< 80'), { op: '<', value: 80 });
  assert.deepEqual(parseCondition('>=2.5'), { op: '>=', value: 2.5 });
  assert.equal(parseCondition('about 80'), null);
  assert.equal(parseCondition('=< 80'), null);
  const cases: [string, number, boolean][] = [['< 80', 79.9, true], ['< 80', 80, false], ['<= 80', 80, true], ['> 1', 1, false], ['>= 1', 1, true], ['== 0', 0, true], ['!= 0', 0, false]];
  for (const [text, actual, expected] of cases) {
    const c = parseCondition(text)!;
    assert.equal(evaluateCondition(c.op, c.value, actual), expected, `${actual} ${text}`);
  }
});
