/**
 * Token → principal with the server's context: policy roles resolved against the policy in
 * force now, trainee tokens ending with their run. The HTTP routes and `/ws` both use it.
 */
import { actorOf, isBuiltinRole, type Actor } from '@pudu/engine';
import type { Role } from '@pudu/schema';
import type { ServerContext } from '../context.ts';
import { authenticateToken, type AuthOptions, type Principal } from './tokens.ts';

export function authOptions(ctx: ServerContext): AuthOptions & { resolveRole(name: string): Role } {
  return {
    // Built-in roles keep working while a broken policy file denies everything else, so an
    // admin can still abort runs and fix things.
    resolveRole: (name: string): Role => (isBuiltinRole(name) ? name : actorOf(ctx.policy.spec(), name).base),
    traineeGraceMs: ctx.traineeGraceMs,
  };
}

export function authenticate(ctx: ServerContext, token: string | undefined): Promise<Principal> {
  return authenticateToken(ctx.store, token, authOptions(ctx));
}

/** The principal as policy rules see it (role, base role, groups). */
export function actorOfPrincipal(ctx: ServerContext, p: Principal): Actor {
  return actorOf(ctx.policy.spec(), p.policyRole, p.groups);
}
