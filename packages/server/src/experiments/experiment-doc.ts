/**
 * The persisted experiment: every version of its definition, every vote (each pinned to the
 * sha256 of the version it judged), the latest policy decision and pre-checks, its run.
 */
import type { PolicyDecision } from '@pudu/engine';
import type { Charter } from '@pudu/schema';

export type ExperimentState = 'pending' | 'approved' | 'denied' | 'rejected' | 'started' | 'expired';

export interface ExperimentVersion {
  version: number;
  yaml: string;
  file: string;
  window: string | null;
  sha256: string;
  at: string;
  by: string;
}

export interface ExperimentVote {
  user: string;
  role: string;
  names: string[];
  decision: 'approve' | 'reject';
  comment: string;
  sha256: string;
  at: string;
}

export interface PreCheck { name: string; ok: boolean; detail: string }

export interface ExperimentDoc {
  id: string;
  state: ExperimentState;
  createdAt: string;
  updatedAt: string;
  environment: string;
  autoStart: boolean;
  seed: number | null;
  proposer: { user: string; name: string; role: string; groups: string[] };
  title: string;
  scenarioId: string;
  charter: Charter | null;
  versions: ExperimentVersion[];
  votes: ExperimentVote[];
  decision: PolicyDecision;
  checks: PreCheck[];
  runId: string | null;
  /** Versions that reached their approvals, for the reviewer's diff. */
  approvedVersions: number[];
}

export function currentVersion(doc: ExperimentDoc): ExperimentVersion {
  return doc.versions[doc.versions.length - 1]!;
}
