/**
 * Handlers of the governance routes: identity and tokens, the policy and its explanations,
 * experiments (propose → check → approve → run) and SSO sign-in. Each is one call on the
 * token store, the policy, the experiment manager or the SSO service.
 */
import { actorOf, evaluatePolicy, EXPLAIN_SEED } from '@pudu/engine';
import { PuduError, parseDurationMs } from '@pudu/schema';
import type { ServerContext } from '../context.ts';
import type { Handlers } from './app.ts';
import { createToken, tokenInfo } from '../auth/tokens.ts';
import { actorOfPrincipal, authOptions } from '../auth/authenticate.ts';
import { compileOrThrow, scenarioText } from '../policy/scenario-source.ts';

type GovernanceOps = 'whoami' | 'listTokens' | 'createToken' | 'revokeToken' | 'getPolicy' | 'explainPolicy'
  | 'listExperiments' | 'proposeExperiment' | 'getExperiment' | 'updateExperiment' | 'approveExperiment' | 'rejectExperiment' | 'runExperiment'
  | 'ssoLogin' | 'ssoCallback' | 'ssoTicket' | 'ssoDeviceStart' | 'ssoDevicePoll';

export function createGovernanceHandlers(ctx: ServerContext): Pick<Handlers, GovernanceOps> {
  return {
    whoami: async ({ principal: p }) => {
      const approver = p.role === 'trainee' ? false : (() => {
        try {
          return actorOfPrincipal(ctx, p).approver;
        } catch {
          return false;
        }
      })();
      return { id: p.id, name: p.name, role: p.role, policyRole: p.policyRole, user: p.user, groups: p.groups, runId: p.runId, expiresAt: p.expiresAt, approver };
    },

    listTokens: async () => ({ tokens: (await ctx.store.listTokens()).map(tokenInfo) }),
    createToken: async ({ body, audit }) => {
      if (body.runId) await ctx.runs.status(body.runId);
      // The role must exist in the policy now; it is resolved again at every request.
      authOptions(ctx).resolveRole(body.role);
      const ttlMs = body.ttl === undefined ? undefined : parseDurationMs(body.ttl) ?? undefined;
      const { record, token } = await createToken(ctx.store, {
        role: body.role, kind: body.role === 'trainee' ? 'trainee' : body.kind ?? 'human', name: body.name, user: body.user,
        groups: body.groups, runId: body.runId ?? null, ttlMs,
      });
      audit.target = `token ${record.id}`;
      audit.detail = `role ${record.role}, ${record.kind}, expires ${record.expiresAt}${record.runId ? `, run ${record.runId}` : ''}`;
      return { ...tokenInfo(record), token };
    },
    revokeToken: async ({ params, audit }) => {
      const t = await ctx.store.getToken(params.id);
      if (!t) throw new PuduError('NOT_FOUND', `no token ${params.id}`);
      await ctx.store.revokeToken(t.id, new Date().toISOString());
      audit.target = `token ${t.id}`;
      return tokenInfo((await ctx.store.getToken(t.id)) ?? t);
    },

    getPolicy: async () => {
      const s = ctx.policy.current();
      const p = s.policy;
      return {
        file: s.file, sha256: s.sha256, loadedAt: s.loadedAt, valid: p !== null, errors: s.errors, yaml: s.text,
        environments: (p?.environments ?? []).map((e) => ({ name: e.name, description: e.description ?? null, maxVms: e.max_vms ?? null })),
        roles: p ? Object.entries(p.roles).map(([name, r]) => ({ name, base: r.base ?? name, approver: r.approver })) : [],
        sso: { enabled: !!p?.sso, issuer: p?.sso?.issuer ?? null },
      };
    },
    explainPolicy: async ({ body, principal }) => {
      const { yaml, file } = await scenarioText(ctx.library, body);
      const plan = compileOrThrow(yaml, file, { seed: body.seed, defaultSeed: EXPLAIN_SEED });
      const policy = ctx.policy.spec();
      const actor = body.as ? actorOf(policy, body.as, body.groups ?? []) : actorOfPrincipal(ctx, { ...principal, groups: [...principal.groups, ...(body.groups ?? [])] });
      return evaluatePolicy(policy, plan, body.environment, actor, body.at ? Date.parse(body.at) : Date.now());
    },

    listExperiments: async () => ({ experiments: await ctx.experiments.list() }),
    proposeExperiment: async ({ body, principal, audit }) => {
      const e = await ctx.experiments.propose(body, principal);
      audit.target = `experiment ${e.id}`;
      audit.detail = `${e.state}: ${e.scenarioId} in ${e.environment}, sha256 ${e.sha256.slice(0, 12)}${e.decision.reasons.length ? `; ${e.decision.reasons.join('; ')}` : ''}`;
      return e;
    },
    getExperiment: async ({ params }) => ctx.experiments.get(params.id),
    updateExperiment: async ({ params, body, principal, audit }) => {
      const e = await ctx.experiments.update(params.id, body, principal);
      audit.target = `experiment ${e.id}`;
      audit.detail = `version ${e.version}, sha256 ${e.sha256.slice(0, 12)}: ${e.state}`;
      return e;
    },
    approveExperiment: async ({ params, body, principal, audit }) => {
      audit.target = `experiment ${params.id}`;
      const e = await ctx.experiments.vote(params.id, 'approve', body, principal);
      audit.detail = `approved sha256 ${body.sha256.slice(0, 12)}: now ${e.state}${body.comment ? `; "${body.comment}"` : ''}`;
      return e;
    },
    rejectExperiment: async ({ params, body, principal, audit }) => {
      audit.target = `experiment ${params.id}`;
      const e = await ctx.experiments.vote(params.id, 'reject', body, principal);
      audit.detail = `rejected: "${body.comment}"`;
      return e;
    },
    runExperiment: async ({ params, principal, audit }) => {
      audit.target = `experiment ${params.id}`;
      const out = await ctx.experiments.run(params.id, principal);
      audit.detail = `run ${out.run.id}`;
      return out;
    },

    ssoLogin: async ({ query, req, reply }) => reply.redirect(await ctx.sso.loginUrl(query.return, `${req.protocol}://${req.host}`)),
    ssoCallback: async ({ query, req, reply }) => reply.redirect(await ctx.sso.callback(query, req.url)),
    ssoTicket: async ({ body, audit }) => {
      const t = await ctx.sso.redeemTicket(body.ticket);
      audit.target = `token for ${t.user}`;
      audit.detail = `SSO sign-in as ${t.role}`;
      return t;
    },
    ssoDeviceStart: async () => ctx.sso.startDevice(),
    ssoDevicePoll: async ({ body, audit }) => {
      const r = await ctx.sso.pollDevice(body.handle);
      if (r.status === 'done') {
        audit.target = `token for ${r.user ?? '?'}`;
        audit.detail = `SSO device sign-in as ${r.role ?? '?'}`;
      }
      return r;
    },
  };
}
