import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertUnderFreshId, newRecordId } from './fresh-id.ts';

test('record ids carry 48 random bits after their prefix', () => {
  assert.match(newRecordId('r'), /^r[0-9a-f]{12}$/);
  assert.notEqual(newRecordId('r'), newRecordId('r'));
});

test('an id that is taken draws another instead of overwriting the record that holds it', async () => {
  const tried: string[] = [];
  const rec = await insertUnderFreshId('r', 'run', (id) => ({ id }), (r) => {
    tried.push(r.id);
    return Promise.resolve(tried.length === 3);
  });
  assert.equal(tried.length, 3);
  assert.equal(new Set(tried).size, 3);
  assert.equal(rec.id, tried[2]);
});

test('a store that refuses every id ends in INTERNAL, never in an overwrite', async () => {
  await assert.rejects(insertUnderFreshId('g', 'game day', (id) => ({ id }), () => Promise.resolve(false)), (e: Error & { code?: string }) => e.code === 'INTERNAL' && /game day/.test(e.message));
});
