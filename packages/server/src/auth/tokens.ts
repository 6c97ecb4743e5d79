/**
 * API tokens: `pudu_<id>_<secret>`. Only sha256(secret) is stored; the id finds the row and
 * the secret is compared in constant time. High-entropy random secrets need no slow hash.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PuduError, type Role } from '@pudu/schema';
import type { Store, TokenRecord } from '../store/store.ts';

export interface Principal {
  id: string;
  name: string;
  role: Role;
  /** Set for trainee tokens: the one run they may see. */
  runId: string | null;
}

const TOKEN_RE = /^pudu_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const DUMMY_HASH = Buffer.alloc(32);

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Creates and stores a token; the returned `token` string exists nowhere else afterwards. */
export async function createToken(
  store: Store,
  opts: { role: Role; name?: string; runId?: string | null },
): Promise<{ record: TokenRecord; token: string }> {
  if (opts.role === 'trainee' && !opts.runId) throw new PuduError('BAD_REQUEST', 'a trainee token needs runId: it is scoped to one run');
  if (opts.role !== 'trainee' && opts.runId) throw new PuduError('BAD_REQUEST', 'only trainee tokens are scoped to a run');
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const record: TokenRecord = {
    id,
    name: opts.name ?? `${opts.role}-${id.slice(0, 4)}`,
    role: opts.role,
    runId: opts.runId ?? null,
    secretHash: hashSecret(secret).toString('hex'),
    createdAt: new Date().toISOString(),
    revokedAt: null,
  };
  await store.insertToken(record);
  return { record, token: `pudu_${id}_${secret}` };
}

/** Resolves a bearer token to its principal, or throws UNAUTHORIZED (never says which part was wrong). */
export async function authenticateToken(store: Store, token: string | undefined): Promise<Principal> {
  if (!token) throw new PuduError('UNAUTHORIZED', 'missing token: send Authorization: Bearer <token> (PUDU_TOKEN for puduc)');
  const m = TOKEN_RE.exec(token.trim());
  const record = m ? await store.getToken(m[1] as string) : null;
  const given = hashSecret(m ? (m[2] as string) : token);
  const stored = record ? Buffer.from(record.secretHash, 'hex') : DUMMY_HASH;
  const same = timingSafeEqual(given, stored.length === 32 ? stored : DUMMY_HASH);
  if (!record || !same || record.revokedAt) throw new PuduError('UNAUTHORIZED', 'invalid or revoked token');
  return { id: record.id, name: record.name, role: record.role, runId: record.runId };
}

/** Pulls a token from `Authorization: Bearer`, falling back to a `token` query parameter. */
export function tokenFromRequest(headers: Record<string, string | string[] | undefined>, url: string): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  const q = new URL(url, 'http://x').searchParams.get('token');
  return q ?? undefined;
}

/** First start: when no token exists, creates the admin token. Returns it (to show once) or null. */
export async function ensureAdminToken(store: Store): Promise<string | null> {
  if ((await store.countTokens()) > 0) return null;
  const { token } = await createToken(store, { role: 'admin', name: 'admin' });
  return token;
}

/** Throws FORBIDDEN unless the principal may act on this run (trainees only on their own). */
export function assertRunAccess(p: Principal, runId: string): void {
  if (p.role === 'trainee' && p.runId !== runId) throw new PuduError('FORBIDDEN', `this trainee token is scoped to run ${p.runId}, not ${runId}`);
}
