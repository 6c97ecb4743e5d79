import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextWindowOpening, parseTimeWindow, windowContains, type TimeWindow } from './time-window.ts';

function win(text: string): TimeWindow {
  const w = parseTimeWindow(text);
  if ('error' in w) throw new Error(w.error);
  return w;
}
const at = (iso: string): number => Date.parse(iso);

test('an ISO-8601 interval contains its start and not its end', () => {
  const w = win('2026-12-01T09:00Z/PT8H');
  assert.equal(windowContains(w, at('2026-12-01T09:00:00Z')), true);
  assert.equal(windowContains(w, at('2026-12-01T16:59:59Z')), true);
  assert.equal(windowContains(w, at('2026-12-01T17:00:00Z')), false);
  assert.equal(nextWindowOpening(w, at('2026-11-30T00:00:00Z')), at('2026-12-01T09:00:00Z'));
  assert.equal(nextWindowOpening(w, at('2026-12-02T00:00:00Z')), null);
});

test('a weekly window follows its time zone, and one past midnight belongs to its first day', () => {
  const berlin = win('Mon-Fri 09:00-17:00 Europe/Berlin');
  assert.equal(windowContains(berlin, at('2026-12-01T08:30:00Z')), true); // Tue 09:30 CET
  assert.equal(windowContains(berlin, at('2026-12-01T16:30:00Z')), false); // 17:30 CET
  assert.equal(windowContains(berlin, at('2026-12-05T10:00:00Z')), false); // Saturday
  const night = win('Fri 22:00-02:00');
  assert.equal(windowContains(night, at('2026-12-04T23:00:00Z')), true); // Fri 23:00
  assert.equal(windowContains(night, at('2026-12-05T01:00:00Z')), true); // Sat 01:00, Friday's night
  assert.equal(windowContains(night, at('2026-12-06T01:00:00Z')), false); // Sun 01:00
  assert.equal(nextWindowOpening(night, at('2026-12-01T00:00:00Z')), at('2026-12-04T22:00:00Z'));
});

test('malformed windows say what is wrong', () => {
  for (const [text, why] of [
    ['2026-12-01T09:00/PT8H', /with a zone/],
    ['2026-12-01T09:00Z/2026-12-01T08:00Z', /ends before it starts/],
    ['Mon-Fry 09:00-17:00', /unknown days "Mon-Fry"/],
    ['weekdays 9-17', /not a time range/],
    ['daily 10:00-12:00 Mars/Olympus', /unknown time zone/],
    ['daily 10:00-10:00', /empty/],
  ] as const) {
    const w = parseTimeWindow(text);
    assert.ok('error' in w, text);
    assert.match(w.error, why, text);
  }
});
