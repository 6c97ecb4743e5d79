/**
 * API tokens: `pudu_<id>_<secret>`. Only sha256(secret) is stored; the id finds the row and
 * the secret is compared in constant time. High-entropy random secrets need no slow hash.
 * Every token expires: human tokens after 12 h by default, trainee tokens with their run
 * (plus a grace to read the result), service tokens when their creator said.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PuduError, RoleSchema, type Role } from '@pudu/schema';
import type { Store, TokenRecord } from '../store/store.ts';

export interface Principal {
  id: string;
  name: string;
  /** The built-in role routes are checked against. */
  role: Role;
  /** The token's role as named (a built-in or one the policy defines, e.g. `sre`). */
  policyRole: string;
  /** The person: approvals count people, not tokens. */
  user: string;
  groups: string[];
  /** Set for trainee tokens: the one run they may see. */
  runId: string | null;
  expiresAt: string | null;
}

export type TokenKind = TokenRecord['kind'];

export const HUMAN_TOKEN_TTL_MS = 12 * 3600_000;
/** A human token may be asked to last at most this long; longer-lived automation uses service tokens. */
export const MAX_HUMAN_TOKEN_TTL_MS = 7 * 24 * 3600_000;
export const MAX_SERVICE_TOKEN_TTL_MS = 366 * 24 * 3600_000;
/** After its run ends, a trainee token still reads the result for this long. */
export const TRAINEE_GRACE_MS = 15 * 60_000;

const TOKEN_RE = /^pudu_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const DUMMY_HASH = Buffer.alloc(32);

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export interface CreateTokenOptions {
  role: string;
  kind?: TokenKind;
  name?: string;
  user?: string;
  groups?: string[];
  runId?: string | null;
  /** Lifetime; human tokens default to 12 h, service tokens must say. */
  ttlMs?: number;
  now?: number;
}

function ttlOf(o: CreateTokenOptions, kind: TokenKind): number {
  if (o.ttlMs !== undefined && (!Number.isFinite(o.ttlMs) || o.ttlMs <= 0)) throw new PuduError('BAD_REQUEST', 'a token lifetime must be positive');
  if (kind === 'service') {
    if (o.ttlMs === undefined) throw new PuduError('BAD_REQUEST', 'a service token needs an explicit lifetime (ttl): service tokens never get a default');
    if (o.ttlMs > MAX_SERVICE_TOKEN_TTL_MS) throw new PuduError('BAD_REQUEST', 'a service token lives at most 366 days');
    return o.ttlMs;
  }
  if (kind === 'human' && (o.ttlMs ?? 0) > MAX_HUMAN_TOKEN_TTL_MS) throw new PuduError('BAD_REQUEST', 'a human token lives at most 7 days; use a service token for automation');
  return o.ttlMs ?? HUMAN_TOKEN_TTL_MS;
}

/** Creates and stores a token; the returned `token` string exists nowhere else afterwards. */
export async function createToken(store: Store, o: CreateTokenOptions): Promise<{ record: TokenRecord; token: string }> {
  const kind: TokenKind = o.kind ?? (o.role === 'trainee' ? 'trainee' : 'human');
  if ((o.role === 'trainee') !== (kind === 'trainee')) throw new PuduError('BAD_REQUEST', 'trainee tokens, and only they, have the trainee role');
  if (kind === 'trainee' && !o.runId) throw new PuduError('BAD_REQUEST', 'a trainee token needs runId: it is scoped to one run');
  if (kind !== 'trainee' && o.runId) throw new PuduError('BAD_REQUEST', 'only trainee tokens are scoped to a run');
  const now = o.now ?? Date.now();
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const name = o.name ?? `${o.role}-${id.slice(0, 4)}`;
  const record: TokenRecord = {
    id,
    name,
    role: o.role,
    kind,
    user: o.user ?? name,
    groups: [...(o.groups ?? [])],
    runId: o.runId ?? null,
    expiresAt: new Date(now + ttlOf(o, kind)).toISOString(),
    secretHash: hashSecret(secret).toString('hex'),
    createdAt: new Date(now).toISOString(),
    revokedAt: null,
  };
  await store.insertToken(record);
  return { record, token: `pudu_${id}_${secret}` };
}

export interface AuthOptions {
  /** Maps a token's role name to the built-in role (policy roles); throws FORBIDDEN when unknown. Default: built-in roles only. */
  resolveRole?(name: string): Role;
  traineeGraceMs?: number;
  now?: number;
}

function builtinRole(name: string): Role {
  if ((RoleSchema.options as readonly string[]).includes(name)) return name as Role;
  throw new PuduError('FORBIDDEN', `role "${name}" is not defined (no policy role of that name)`);
}

/** When a run ended (epoch ms), null while it is live; a run that is gone counts as long over. */
async function runEndedAt(store: Store, runId: string): Promise<number | null> {
  const rec = await store.getRun(runId);
  if (!rec) return 0;
  const ended = (rec.doc as { endedAtMs?: number | null }).endedAtMs;
  return typeof ended === 'number' ? ended : null;
}

/** Resolves a bearer token to its principal; UNAUTHORIZED (never saying which part was wrong) or TOKEN_EXPIRED. */
export async function authenticateToken(store: Store, token: string | undefined, o: AuthOptions = {}): Promise<Principal> {
  if (!token) throw new PuduError('UNAUTHORIZED', 'missing token: send Authorization: Bearer <token> (PUDU_TOKEN for puduc)');
  const m = TOKEN_RE.exec(token.trim());
  const record = m ? await store.getToken(m[1] as string) : null;
  const given = hashSecret(m ? (m[2] as string) : token);
  const stored = record ? Buffer.from(record.secretHash, 'hex') : DUMMY_HASH;
  const same = timingSafeEqual(given, stored.length === 32 ? stored : DUMMY_HASH);
  if (!record || !same || record.revokedAt) throw new PuduError('UNAUTHORIZED', 'invalid or revoked token');
  const now = o.now ?? Date.now();
  if (now >= Date.parse(record.expiresAt)) throw new PuduError('TOKEN_EXPIRED', `token ${record.id} expired at ${record.expiresAt}; ask for a new one (puduc login, or an admin)`);
  if (record.kind === 'trainee' && record.runId) {
    const ended = await runEndedAt(store, record.runId);
    const grace = o.traineeGraceMs ?? TRAINEE_GRACE_MS;
    if (ended !== null && now >= ended + grace) throw new PuduError('TOKEN_EXPIRED', `token ${record.id} ended with run ${record.runId} at ${new Date(ended + grace).toISOString()}`);
  }
  return {
    id: record.id, name: record.name, role: (o.resolveRole ?? builtinRole)(record.role), policyRole: record.role, user: record.user,
    groups: record.groups, runId: record.runId, expiresAt: record.expiresAt,
  };
}

/** The `Authorization: Bearer` token of an HTTP request (never the URL: it ends up in logs). */
export function bearerToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return undefined;
}

/** For `/ws` only (browsers cannot set headers there): the Bearer header, then `?token=`. */
export function tokenFromRequest(headers: Record<string, string | string[] | undefined>, url: string): string | undefined {
  return bearerToken(headers) ?? new URL(url, 'http://x').searchParams.get('token') ?? undefined;
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

/** What the API and `pudu token list` show of a token (never its hash). */
export function tokenInfo(t: TokenRecord) {
  return {
    id: t.id, name: t.name, role: t.role, kind: t.kind, user: t.user, groups: t.groups, runId: t.runId,
    createdAt: t.createdAt, expiresAt: t.expiresAt, revokedAt: t.revokedAt,
  };
}
