/**
 * Ed25519 request and reply signatures for the agent channel (no side effects; used by the
 * host-side client and by the daemon). The wire format lives in @pudu/schema
 * (AGENT_SIG_HEADERS, agentRequestSigningText, agentReplySigningText).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { AGENT_SIG_WINDOW_MS, agentReplySigningText, agentRequestSigningText, PuduError } from '@pudu/schema';

/** The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A fresh Ed25519 key pair: the private key as PKCS#8 PEM (host only), the public key raw in base64url. */
export function generateAgentKeyPair(): { privateKeyPem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: rawPublicKey(publicKey) };
}

/** The raw 32-byte public key of an Ed25519 key object, base64url. */
export function rawPublicKey(k: KeyObject): string {
  const der = (k.type === 'private' ? createPublicKey(k) : k).export({ type: 'spki', format: 'der' });
  return der.subarray(ED25519_SPKI_PREFIX.length).toString('base64url');
}

/** Parses a raw base64url Ed25519 public key (32 bytes); throws BAD_REQUEST otherwise. */
export function publicKeyFromRaw(raw: string): KeyObject {
  const bytes = Buffer.from(raw.trim(), 'base64url');
  if (bytes.length !== 32) throw new PuduError('BAD_REQUEST', 'expected a raw Ed25519 public key (32 bytes, base64url)');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, bytes]), format: 'der', type: 'spki' });
}

export function privateKeyFromPem(pem: string): KeyObject {
  const k = createPrivateKey(pem);
  if (k.asymmetricKeyType !== 'ed25519') throw new PuduError('BAD_REQUEST', 'the agent signing key must be Ed25519');
  return k;
}

/** The instance id of an agent key: 16 bytes of sha256 of the raw key, hex. */
export function instanceIdOf(rawKey: string): string {
  return sha256Hex(Buffer.from(rawKey, 'base64url')).slice(0, 32);
}

export interface SignedRequestHeaders {
  time: string;
  nonce: string;
  signature: string;
}

/** Signs one request for the agent whose audience is `<fleet>/<vm>`. */
export function signAgentRequest(key: KeyObject, r: { method: string; path: string; audience: string; body: string }, now = Date.now()): SignedRequestHeaders {
  const nonce = randomBytes(16).toString('base64url');
  const text = agentRequestSigningText({ method: r.method, path: r.path, audience: r.audience, timeMs: now, nonce, bodySha256Hex: sha256Hex(r.body) });
  return { time: String(now), nonce, signature: sign(null, Buffer.from(text), key).toString('base64url') };
}

export type RequestCheck = { ok: true } | { ok: false; why: 'missing' | 'stale' | 'replayed' | 'bad-signature' };

const NONCE_RE = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * The agent's side: checks time, nonce and signature. Nonces are remembered for twice the
 * window, so within its window a captured request cannot be played again, and after it the
 * time check refuses it.
 */
export class RequestVerifier {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly key: KeyObject,
    private readonly audience: string,
    private readonly windowMs = AGENT_SIG_WINDOW_MS,
  ) {}

  check(r: { method: string; path: string; body: string; time?: string; nonce?: string; signature?: string }, now = Date.now()): RequestCheck {
    if (!r.time || !r.nonce || !r.signature || !/^\d{1,16}$/.test(r.time) || !NONCE_RE.test(r.nonce)) return { ok: false, why: 'missing' };
    const t = Number(r.time);
    if (Math.abs(now - t) > this.windowMs) return { ok: false, why: 'stale' };
    const text = agentRequestSigningText({ method: r.method, path: r.path, audience: this.audience, timeMs: t, nonce: r.nonce, bodySha256Hex: sha256Hex(r.body) });
    let good = false;
    try {
      good = verify(null, Buffer.from(text), this.key, Buffer.from(r.signature, 'base64url'));
    } catch {
      good = false;
    }
    if (!good) return { ok: false, why: 'bad-signature' };
    this.prune(now);
    if (this.seen.has(r.nonce)) return { ok: false, why: 'replayed' };
    this.seen.set(r.nonce, now);
    return { ok: true };
  }

  private prune(now: number): void {
    for (const [n, at] of this.seen) {
      if (now - at <= 2 * this.windowMs) break;
      this.seen.delete(n);
    }
  }
}

/** Signs a reply with the agent instance's key. */
export function signAgentReply(key: KeyObject, r: { nonce: string; status: number; identityB64: string; body: string }): string {
  const text = agentReplySigningText({ nonce: r.nonce, status: r.status, identityB64: r.identityB64, bodySha256Hex: sha256Hex(r.body) });
  return sign(null, Buffer.from(text), key).toString('base64url');
}

/** Checks a reply's signature against the key its identity names. */
export function verifyAgentReply(rawKey: string, signature: string, r: { nonce: string; status: number; identityB64: string; body: string }): boolean {
  try {
    const text = agentReplySigningText({ nonce: r.nonce, status: r.status, identityB64: r.identityB64, bodySha256Hex: sha256Hex(r.body) });
    return verify(null, Buffer.from(text), publicKeyFromRaw(rawKey), Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
