import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBearer, isPeerAllowed, loadTokenDigest, parseCidr } from './access.ts';

test('a token file with the token or its sha256 accepts exactly that bearer token', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-agt-access-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'plain'), 's3cret\n');
  writeFileSync(join(dir, 'hashed'), `sha256:${createHash('sha256').update('s3cret').digest('hex')}\n`);
  for (const f of ['plain', 'hashed']) {
    const d = loadTokenDigest(join(dir, f));
    assert.equal(checkBearer('Bearer s3cret', d), true, f);
    assert.equal(checkBearer('Bearer s3cret2', d), false, f);
    assert.equal(checkBearer('s3cret', d), false, f);
    assert.equal(checkBearer(undefined, d), false, f);
  }
  writeFileSync(join(dir, 'empty'), '');
  assert.throws(() => loadTokenDigest(join(dir, 'empty')), /is empty/);
  assert.throws(() => loadTokenDigest(join(dir, 'missing')), /--token-file/);
});

test('only peers inside --allow-from and not owned by this machine are allowed', () => {
  const allow = [parseCidr('172.16.5.1/32'), parseCidr('10.1.0.0/16')];
  assert.equal(isPeerAllowed('172.16.5.1', allow), true);
  assert.equal(isPeerAllowed('::ffff:172.16.5.1', allow), true);
  assert.equal(isPeerAllowed('172.16.5.2', allow), false);
  assert.equal(isPeerAllowed('10.1.200.3', allow), true);
  assert.equal(isPeerAllowed('127.0.0.1', [parseCidr('127.0.0.0/8')]), false, 'loopback is the VM itself');
  assert.equal(isPeerAllowed(undefined, allow), false);
  assert.throws(() => parseCidr('10.0.0.0/33'), /--allow-from/);
  assert.throws(() => parseCidr('nope'), /--allow-from/);
});
