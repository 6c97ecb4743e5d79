import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateAgentKeyPair, instanceIdOf, privateKeyFromPem, publicKeyFromRaw, RequestVerifier, signAgentReply, signAgentRequest, verifyAgentReply } from './signing.ts';
import { agentPath } from '@pudu/schema';

const req = { method: 'POST', path: agentPath('stopFault'), audience: 'f1/web-0', body: '{"id":"r1.disk"}' };

function setup() {
  const kp = generateAgentKeyPair();
  return { key: privateKeyFromPem(kp.privateKeyPem), verifier: new RequestVerifier(publicKeyFromRaw(kp.publicKey), 'f1/web-0') };
}

test('a signed request passes once; the same request again is refused as replayed', () => {
  const { key, verifier } = setup();
  const h = signAgentRequest(key, req);
  assert.deepEqual(verifier.check({ ...req, ...h }), { ok: true });
  assert.deepEqual(verifier.check({ ...req, ...h }), { ok: false, why: 'replayed' });
});

test('a request signed for another VM, with another body or by another key is refused', () => {
  const { key, verifier } = setup();
  assert.equal(verifier.check({ ...req, ...signAgentRequest(key, { ...req, audience: 'f1/web-1' }) }).ok, false);
  assert.deepEqual(verifier.check({ ...req, body: '{"id":"r1.other"}', ...signAgentRequest(key, req) }), { ok: false, why: 'bad-signature' });
  const other = privateKeyFromPem(generateAgentKeyPair().privateKeyPem);
  assert.deepEqual(verifier.check({ ...req, ...signAgentRequest(other, req) }), { ok: false, why: 'bad-signature' });
  assert.deepEqual(verifier.check({ ...req }), { ok: false, why: 'missing' });
});

test('a request older than the window is refused as stale even with a fresh nonce', () => {
  const { key, verifier } = setup();
  assert.deepEqual(verifier.check({ ...req, ...signAgentRequest(key, req, Date.now() - 31_000) }), { ok: false, why: 'stale' });
  assert.deepEqual(verifier.check({ ...req, ...signAgentRequest(key, req, Date.now() + 31_000) }), { ok: false, why: 'stale' });
});

test('a reply verifies only for its own nonce, status, identity and body', () => {
  const kp = generateAgentKeyPair();
  const key = privateKeyFromPem(kp.privateKeyPem);
  const r = { nonce: 'n'.repeat(22), status: 200, identityB64: 'aWQ', body: '{"ok":1}' };
  const sig = signAgentReply(key, r);
  assert.equal(verifyAgentReply(kp.publicKey, sig, r), true);
  assert.equal(verifyAgentReply(kp.publicKey, sig, { ...r, nonce: 'm'.repeat(22) }), false);
  assert.equal(verifyAgentReply(kp.publicKey, sig, { ...r, status: 500 }), false);
  assert.equal(verifyAgentReply(kp.publicKey, sig, { ...r, body: '{"ok":2}' }), false);
  assert.equal(verifyAgentReply(generateAgentKeyPair().publicKey, sig, r), false);
  assert.match(instanceIdOf(kp.publicKey), /^[0-9a-f]{32}$/);
});
