/**
 * OpenID Connect sign-in with the issuer named in the policy's `sso:` block. The UI uses
 * the authorization-code flow with PKCE (the server is the client: it keeps the verifier and
 * exchanges the code), puduc the device flow (the server starts it and polls for puduc).
 * Either way the user's groups map to a role through `sso.groups` and a 12 h human token is
 * issued; the UI receives it through a one-time ticket, never in a URL.
 */
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { PuduError, apiPath, type PolicySpec } from '@pudu/schema';
import type { Store } from '../store/store.ts';
import type { PolicySource } from '../policy/policy-source.ts';
import { createToken } from './tokens.ts';

/** A started sign-in (state → PKCE verifier) is kept this long. */
const LOGIN_TTL_MS = 10 * 60_000;
/** The UI redeems its ticket at once; a minute is plenty. */
const TICKET_TTL_MS = 60_000;
const MAX_PENDING = 1000;

type Sso = NonNullable<PolicySpec['sso']>;

export interface IssuedToken { token: string; role: string; user: string; groups: string[]; expiresAt: string }

interface Device { done: IssuedToken | null; error: PuduError | null; expiresAt: number }

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

function claimGroups(claims: Record<string, unknown>, claim: string): string[] {
  const v = claims[claim];
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : typeof v === 'string' ? [v] : [];
}

export class SsoService {
  private conf: { key: string; config: oidc.Configuration } | null = null;
  private readonly logins = new Map<string, { verifier: string; nonce: string; redirectUri: string; returnTo: string; expiresAt: number }>();
  private readonly tickets = new Map<string, { issued: IssuedToken; expiresAt: number }>();
  private readonly devices = new Map<string, Device>();

  constructor(private readonly policy: PolicySource, private readonly store: Store, private readonly log: (m: string) => void) {}

  private sso(): Sso {
    const sso = this.policy.spec().sso;
    if (!sso) throw new PuduError('SSO_NOT_CONFIGURED', 'this server has no sso: block in its policy; sign in with a token');
    return sso;
  }

  private async config(): Promise<{ sso: Sso; config: oidc.Configuration }> {
    const sso = this.sso();
    const secret = sso.client_secret ?? process.env.PUDU_OIDC_CLIENT_SECRET;
    const key = `${sso.issuer}|${sso.client_id}|${secret ?? ''}`;
    if (this.conf?.key !== key) {
      const issuer = new URL(sso.issuer);
      // Plain HTTP only to an issuer on this machine (tests, a local IdP); never across a network.
      if (issuer.protocol !== 'https:' && !isLoopback(issuer)) throw new PuduError('SSO_FAILED', `issuer ${sso.issuer} must use https`);
      try {
        const config = await oidc.discovery(issuer, sso.client_id, secret ? { client_secret: secret } : undefined, secret ? undefined : oidc.None(),
          issuer.protocol === 'https:' ? undefined : { execute: [oidc.allowInsecureRequests] });
        this.conf = { key, config };
      } catch (e) {
        throw new PuduError('SSO_FAILED', `cannot reach the identity provider ${sso.issuer}: ${(e as Error).message}`);
      }
    }
    return { sso, config: this.conf!.config };
  }

  private prune(): void {
    const now = Date.now();
    for (const m of [this.logins, this.tickets, this.devices] as Map<string, { expiresAt: number }>[]) {
      for (const [k, v] of m) if (v.expiresAt < now) m.delete(k);
    }
    if (this.logins.size > MAX_PENDING || this.devices.size > MAX_PENDING) throw new PuduError('SSO_FAILED', 'too many sign-ins in progress; try again in a few minutes');
  }

  /** The identity provider's authorization URL for a new browser sign-in. */
  async loginUrl(returnTo: string | undefined, baseUrl: string): Promise<string> {
    const { sso, config } = await this.config();
    this.prune();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    const redirectUri = baseUrl + apiPath('ssoCallback');
    // Only a path inside the UI: an open redirect would hand the ticket to anyone.
    const back = returnTo && /^\/[^/\\]/.test(returnTo) ? returnTo : '/';
    this.logins.set(state, { verifier, nonce, redirectUri, returnTo: back, expiresAt: Date.now() + LOGIN_TTL_MS });
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: sso.scopes.join(' '), state, nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }).href;
  }

  /** The provider sent the browser back: exchange the code, issue a token, and send the UI a one-time ticket. */
  async callback(q: { code?: string; state?: string; error?: string; error_description?: string }, url: string): Promise<string> {
    this.sso();
    const pending = q.state ? this.logins.get(q.state) : undefined;
    if (!pending || pending.expiresAt < Date.now()) throw new PuduError('SSO_FAILED', 'unknown or expired sign-in; start again');
    this.logins.delete(q.state!);
    if (q.error) throw new PuduError('SSO_FAILED', `the identity provider refused: ${q.error}${q.error_description ? `: ${q.error_description}` : ''}`);
    const { sso, config } = await this.config();
    const current = new URL(url, pending.redirectUri);
    let claims: Record<string, unknown>;
    let accessToken: string;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: pending.verifier, expectedState: q.state, expectedNonce: pending.nonce });
      claims = (tokens.claims() ?? {}) as Record<string, unknown>;
      accessToken = tokens.access_token;
    } catch (e) {
      throw new PuduError('SSO_FAILED', `sign-in failed: ${(e as Error).message}`);
    }
    const issued = await this.issue(sso, config, claims, accessToken);
    const ticket = randomBytes(24).toString('base64url');
    this.tickets.set(ticket, { issued, expiresAt: Date.now() + TICKET_TTL_MS });
    return `/#/signin?ticket=${ticket}&return=${encodeURIComponent(pending.returnTo)}`;
  }

  redeemTicket(ticket: string): IssuedToken {
    this.sso();
    const t = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!t || t.expiresAt < Date.now()) throw new PuduError('SSO_FAILED', 'unknown, used or expired sign-in ticket; sign in again');
    return t.issued;
  }

  /** Starts a device sign-in; the server polls the provider in the background until it is done. */
  async startDevice(): Promise<{ handle: string; userCode: string; verificationUri: string; verificationUriComplete: string | null; expiresInSeconds: number; intervalSeconds: number }> {
    const { sso, config } = await this.config();
    this.prune();
    let res: Awaited<ReturnType<typeof oidc.initiateDeviceAuthorization>>;
    try {
      res = await oidc.initiateDeviceAuthorization(config, { scope: sso.scopes.join(' ') });
    } catch (e) {
      throw new PuduError('SSO_FAILED', `the identity provider refused device sign-in: ${(e as Error).message}`);
    }
    const handle = randomBytes(24).toString('base64url');
    const device: Device = { done: null, error: null, expiresAt: Date.now() + res.expires_in * 1000 };
    this.devices.set(handle, device);
    const abort = AbortSignal.timeout(res.expires_in * 1000);
    void oidc.pollDeviceAuthorizationGrant(config, res, undefined, { signal: abort })
      .then(async (tokens) => {
        device.done = await this.issue(sso, config, (tokens.claims() ?? {}) as Record<string, unknown>, tokens.access_token);
      })
      .catch((e: unknown) => {
        device.error = e instanceof PuduError ? e : new PuduError('SSO_FAILED', `device sign-in failed: ${(e as Error).message}`);
      });
    return {
      handle, userCode: res.user_code, verificationUri: res.verification_uri, verificationUriComplete: res.verification_uri_complete ?? null,
      expiresInSeconds: res.expires_in, intervalSeconds: res.interval ?? 5,
    };
  }

  pollDevice(handle: string): { status: 'pending' | 'done'; token: string | null; role: string | null; user: string | null; expiresAt: string | null } {
    this.sso();
    const d = this.devices.get(handle);
    if (!d) throw new PuduError('SSO_FAILED', 'unknown or expired device sign-in; start again');
    if (d.error) {
      this.devices.delete(handle);
      throw d.error;
    }
    if (!d.done) return { status: 'pending', token: null, role: null, user: null, expiresAt: null };
    this.devices.delete(handle);
    return { status: 'done', token: d.done.token, role: d.done.role, user: d.done.user, expiresAt: d.done.expiresAt };
  }

  /** Maps the user's groups to a role (first mapping in the policy's order) and issues a human token. */
  private async issue(sso: Sso, config: oidc.Configuration, claims: Record<string, unknown>, accessToken: string): Promise<IssuedToken> {
    // A conforming provider puts only `sub` in the ID token; groups and email come from userinfo.
    if ((!(sso.groups_claim in claims) || !claims.email) && typeof claims.sub === 'string') {
      const info = await oidc.fetchUserInfo(config, accessToken, claims.sub).catch(() => null);
      if (info) claims = { ...(info as Record<string, unknown>), ...claims, ...(sso.groups_claim in claims ? {} : { [sso.groups_claim]: (info as Record<string, unknown>)[sso.groups_claim] }) };
    }
    const groups = claimGroups(claims, sso.groups_claim);
    const mapped = Object.entries(sso.groups).find(([g]) => groups.includes(g));
    const role = mapped?.[1] ?? sso.default_role;
    const user = String(claims.email ?? claims.preferred_username ?? claims.sub ?? '');
    if (!user) throw new PuduError('SSO_FAILED', 'the identity provider sent no subject');
    if (!role) throw new PuduError('SSO_FAILED', `none of ${user}'s groups (${groups.join(', ') || 'none'}) maps to a role in the policy's sso.groups`);
    const { record, token } = await createToken(this.store, { role, kind: 'human', name: `sso:${user}`, user, groups });
    this.log(`sso: ${user} signed in as ${role} (groups ${groups.join(', ') || 'none'})`);
    return { token, role, user, groups, expiresAt: record.expiresAt };
  }
}
