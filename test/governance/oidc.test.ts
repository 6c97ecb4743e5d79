/**
 * SSO against a real OpenID Connect provider (npm `oidc-provider`, a certified one) started
 * here on loopback: the browser's authorization-code + PKCE sign-in and puduc's device flow,
 * with the user's `sre` group becoming the policy's `sre` role.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { apiPath } from '@pudu/schema';
import { startTestServer } from '../server/harness.ts';

const GROUPS: Record<string, string[]> = { ann: ['sre'], dan: ['developers'], zed: ['marketing'] };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** A free loopback port (the provider must know Pudu's redirect URI before Pudu starts). */
async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

async function startProvider(t: TestContext, redirectUri: string): Promise<string> {
  const http = createServer();
  const port = await listen(http);
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'pudu', token_endpoint_auth_method: 'none', redirect_uris: [redirectUri], response_types: ['code'],
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
    }],
    claims: { openid: ['sub'], email: ['email'], groups: ['groups'] },
    features: { deviceFlow: { enabled: true }, devInteractions: { enabled: true } },
    pkce: { required: () => true },
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub, email: `${sub}@example.com`, groups: GROUPS[sub] ?? [] }) }),
  });
  http.on('request', provider.callback());
  t.after(() => new Promise((r) => http.close(r)));
  return issuer;
}

/** A tiny browser: cookies per origin, manual redirects, and submitting the page's form with what a person types. */
class Browser {
  private cookies = new Map<string, Map<string, string>>();

  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<{ url: string; status: number; text: string; location: string | null }> {
    const u = new URL(url);
    const jar = this.cookies.get(u.origin) ?? new Map<string, string>();
    this.cookies.set(u.origin, jar);
    const res = await fetch(url, {
      method: init.method ?? 'GET', redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    const location = res.headers.get('location');
    return { url, status: res.status, text: await res.text(), location: location ? new URL(location, url).href : null };
  }

  /** Follows redirects and fills forms (login, consent, device code) until a URL starting with `stopAt`, or a page with no form. */
  async walk(start: string, stopAt: string, typed: Record<string, string>): Promise<string> {
    let page = await this.go(start);
    for (let i = 0; i < 30; i++) {
      if (page.location) {
        if (page.location.startsWith(stopAt)) return page.location;
        page = await this.go(page.location);
        continue;
      }
      const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(page.text);
      if (!form) return page.url;
      const fields: Record<string, string> = {};
      for (const m of form[2]!.matchAll(/<input[^>]*>/gi)) {
        const name = /name="([^"]+)"/.exec(m[0])?.[1];
        if (name) fields[name] = typed[name] ?? /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
      }
      page = await this.go(new URL(form[1]!, page.url).href, { method: 'POST', form: fields });
    }
    throw new Error(`no end after 30 steps at ${page.url}`);
  }
}

async function ssoServer(t: TestContext): Promise<{ url: string; admin: string; issuer: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const issuer = await startProvider(t, `${url}${apiPath('ssoCallback')}`);
  const dir = mkdtempSync(join(tmpdir(), 'pudu-oidc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, `environments: [{ name: training }, { name: lab }]
roles:
  sre: { base: engineer, approver: true }
sso:
  issuer: ${issuer}
  client_id: pudu
  scopes: [openid, email, groups]
  groups: { sre: sre, developers: engineer }
rules:
  - { name: training, where: training, decision: allow }
`);
  const s = await startTestServer(t, { policyFile: policy, port });
  return { url: s.url, admin: s.adminToken, issuer };
}

test('a browser signs in with authorization code + PKCE at a real OIDC provider: group sre becomes role sre', async (t) => {
  const s = await ssoServer(t);
  const browser = new Browser();
  const login = await browser.go(`${s.url}${apiPath('ssoLogin')}?return=/%23/approvals`);
  assert.equal(login.status, 302);
  const auth = new URL(login.location!);
  assert.equal(auth.origin, s.issuer);
  assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(auth.searchParams.get('code_challenge'));
  const back = await browser.walk(login.location!, `${s.url}${apiPath('ssoCallback')}`, { login: 'ann', password: 'any' });
  const done = await browser.go(back);
  assert.equal(done.status, 302);
  const ticket = new URL(done.location!.replace('/#/', '/')).searchParams.get('ticket');
  assert.ok(ticket, done.location ?? '');
  const redeem = await fetch(`${s.url}${apiPath('ssoTicket')}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ticket }) });
  const issued = (await redeem.json()) as { token: string; role: string; user: string; expiresAt: string };
  assert.equal(issued.role, 'sre');
  assert.equal(issued.user, 'ann@example.com');
  const me = (await (await fetch(`${s.url}${apiPath('whoami')}`, { headers: { authorization: `Bearer ${issued.token}` } })).json()) as Record<string, unknown>;
  assert.deepEqual([me.role, me.policyRole, me.approver, me.groups], ['engineer', 'sre', true, ['sre']]);
  assert.ok(Math.abs(Date.parse(issued.expiresAt) - Date.now() - 12 * 3600_000) < 60_000, 'a human token lives 12 h');
  // The ticket is one-time; a replay is refused.
  const again = await fetch(`${s.url}${apiPath('ssoTicket')}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ticket }) });
  assert.equal(again.status, 400);
  // A user none of whose groups map gets no token.
  const zed = new Browser();
  const zedLogin = await zed.go(`${s.url}${apiPath('ssoLogin')}`);
  const zedBack = await zed.walk(zedLogin.location!, `${s.url}${apiPath('ssoCallback')}`, { login: 'zed', password: 'any' });
  const refused = await zed.go(zedBack);
  assert.equal(refused.status, 400);
  assert.match(refused.text, /none of zed@example\.com's groups \(marketing\) maps to a role/);
});

test('puduc-style device sign-in: the server polls the provider and hands back a token with the mapped role', async (t) => {
  const s = await ssoServer(t);
  const start = (await (await fetch(`${s.url}${apiPath('ssoDeviceStart')}`, { method: 'POST' })).json()) as { handle: string; userCode: string; verificationUriComplete: string; intervalSeconds: number };
  assert.ok(start.userCode);
  const poll = async (): Promise<{ status: string; token: string | null; role: string | null }> =>
    (await (await fetch(`${s.url}${apiPath('ssoDevicePoll')}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle: start.handle }) })).json()) as { status: string; token: string | null; role: string | null };
  assert.equal((await poll()).status, 'pending');
  await new Browser().walk(start.verificationUriComplete, 'http://never/', { login: 'dan', password: 'any', user_code: start.userCode });
  let r = await poll();
  for (let i = 0; i < 40 && r.status === 'pending'; i++) {
    await new Promise((res) => setTimeout(res, 500));
    r = await poll();
  }
  assert.equal(r.status, 'done');
  assert.equal(r.role, 'engineer');
  const me = (await (await fetch(`${s.url}${apiPath('whoami')}`, { headers: { authorization: `Bearer ${r.token}` } })).json()) as Record<string, unknown>;
  assert.equal(me.user, 'dan@example.com');
});
