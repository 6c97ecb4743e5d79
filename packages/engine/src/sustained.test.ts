import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heldFor, sustain, sustained } from './sustained.ts';

test('a condition that holds keeps the time it started holding; a break starts it over', () => {
  let since = sustain(undefined, true, 1000);
  assert.equal(since, 1000);
  since = sustain(since, true, 1300);
  assert.equal(since, 1000);
  since = sustain(since, false, 1600);
  assert.equal(since, null);
  assert.equal(sustain(since, true, 1900), 1900);
});

test('it is sustained only once it held for the whole window, and at once for a zero window', () => {
  assert.equal(sustained(1000, 20_000, 20_999), false);
  assert.equal(sustained(1000, 20_000, 21_000), true);
  assert.equal(sustained(null, 0, 5000), false);
  assert.equal(sustained(5000, 0, 5000), true);
  assert.equal(heldFor(1000, 4000), 3000);
  assert.equal(heldFor(null, 4000), 0);
});
