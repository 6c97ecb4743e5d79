/**
 * Does a set of approvals meet what a decision requires? Distinct people only, never the
 * proposer, each counted for every requirement whose approver set names one of theirs.
 */
import type { ApprovalRequirement } from './evaluate-policy.ts';
import { matchesAnyOf } from './patterns.ts';

export interface ApprovalVote {
  /** The person (a token's user or an SSO subject), not the token. */
  user: string;
  /** Their role, base role and groups when they approved. */
  names: string[];
}

export interface RequirementProgress extends ApprovalRequirement {
  /** Distinct approvers that count toward it. */
  by: string[];
  met: boolean;
}

export function approvalProgress(requirements: ApprovalRequirement[], votes: ApprovalVote[], proposer: string): { met: boolean; progress: RequirementProgress[] } {
  const progress = requirements.map((r) => {
    const by = [...new Set(votes.filter((v) => v.user !== proposer && matchesAnyOf(r.from, v.names)).map((v) => v.user))];
    return { ...r, by, met: by.length >= r.count };
  });
  return { met: progress.every((p) => p.met), progress };
}

/** Would this person's approval count toward any requirement? */
export function countsToward(requirements: ApprovalRequirement[], names: string[]): boolean {
  return requirements.some((r) => matchesAnyOf(r.from, names));
}
