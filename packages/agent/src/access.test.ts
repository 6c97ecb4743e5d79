import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPeerAllowed, loadPublicKey, parseCidr } from './access.ts';
import { generateAgentKeyPair } from './signing.ts';

test('the key file holds the fleet\'s raw public key; anything else is refused naming the flag', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-agt-access-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { publicKey } = generateAgentKeyPair();
  writeFileSync(join(dir, 'good'), `${publicKey}\n`);
  assert.equal(loadPublicKey(join(dir, 'good')).asymmetricKeyType, 'ed25519');
  writeFileSync(join(dir, 'token'), 's3cret\n');
  assert.throws(() => loadPublicKey(join(dir, 'token')), /--key-file .*raw Ed25519 public key/);
  assert.throws(() => loadPublicKey(join(dir, 'missing')), /--key-file/);
});

test('only peers inside --allow-from and not owned by this machine are allowed', () => {
  // TEST-NET addresses: a host running sandbox VMs owns 172.16.N.1 itself, which would count as "the VM".
  const allow = [parseCidr('192.0.2.1/32'), parseCidr('10.1.0.0/16')];
  assert.equal(isPeerAllowed('192.0.2.1', allow), true);
  assert.equal(isPeerAllowed('::ffff:192.0.2.1', allow), true);
  assert.equal(isPeerAllowed('192.0.2.2', allow), false);
  assert.equal(isPeerAllowed('10.1.200.3', allow), true);
  assert.equal(isPeerAllowed('127.0.0.1', [parseCidr('127.0.0.0/8')]), false, 'loopback is the VM itself');
  assert.equal(isPeerAllowed(undefined, allow), false);
  assert.throws(() => parseCidr('10.0.0.0/33'), /--allow-from/);
  assert.throws(() => parseCidr('nope'), /--allow-from/);
});
