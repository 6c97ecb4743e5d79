/**
 * The server's policy: the file given with `--policy` (or the built-in default), re-read
 * whenever the file changes so an edit takes effect at the next decision — proposal, run
 * start or the next fault. A file that stops validating fails closed: every decision is
 * denied with the file's first error until it is fixed.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { DEFAULT_POLICY_FILE, DEFAULT_POLICY_YAML, formatIssue, parsePolicy, type ScenarioIssue } from '@pudu/engine';
import { PuduError, type PolicySpec } from '@pudu/schema';

export interface PolicySnapshot {
  /** The file path, or `<default policy>`. */
  file: string;
  text: string;
  sha256: string;
  loadedAt: string;
  /** null while the file does not validate (then every decision is denied). */
  policy: PolicySpec | null;
  errors: ScenarioIssue[];
}

function snapshotOf(file: string, text: string): PolicySnapshot {
  const r = parsePolicy(text, file);
  return {
    file, text, sha256: createHash('sha256').update(text).digest('hex'), loadedAt: new Date().toISOString(),
    policy: r.ok ? r.policy : null, errors: r.ok ? [] : r.errors,
  };
}

/** Throws POLICY_INVALID listing every located problem. */
export function assertValidPolicy(s: PolicySnapshot): PolicySpec {
  if (s.policy) return s.policy;
  throw new PuduError('POLICY_INVALID', `${s.file} does not validate, so every decision is denied until it is fixed:\n${s.errors.map(formatIssue).join('\n')}`, { errors: s.errors });
}

export class PolicySource {
  private snap: PolicySnapshot;
  private stamp = '';

  /** Loads the policy; a file that does not validate at start is POLICY_INVALID (the server refuses to start). */
  constructor(private readonly file: string | null, private readonly log: (m: string) => void = () => undefined) {
    if (file === null) {
      this.snap = snapshotOf(DEFAULT_POLICY_FILE, DEFAULT_POLICY_YAML);
      return;
    }
    this.stamp = this.stat();
    this.snap = snapshotOf(file, this.read());
    assertValidPolicy(this.snap);
  }

  private stat(): string {
    try {
      const s = statSync(this.file!);
      return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch (e) {
      return `missing:${(e as NodeJS.ErrnoException).code ?? ''}`;
    }
  }

  private read(): string {
    try {
      return readFileSync(this.file!, 'utf8');
    } catch (e) {
      if (this.snap === undefined) throw new PuduError('POLICY_INVALID', `cannot read policy ${this.file}: ${(e as Error).message}`);
      // Not readable any more: keep nothing, so decisions fail closed.
      return '';
    }
  }

  /** The policy as it is now (re-read when the file changed since the last call). */
  current(): PolicySnapshot {
    if (this.file === null) return this.snap;
    const stamp = this.stat();
    if (stamp !== this.stamp) {
      this.stamp = stamp;
      const next = snapshotOf(this.file, this.read());
      if (next.sha256 !== this.snap.sha256) {
        this.log(next.policy ? `policy ${this.file} reloaded (sha256 ${next.sha256.slice(0, 12)})` : `policy ${this.file} no longer validates; every decision is denied until it is fixed: ${next.errors.map(formatIssue).join('; ')}`);
        this.snap = next;
      }
    }
    return this.snap;
  }

  /** The current policy, or POLICY_INVALID while the file does not validate. */
  spec(): PolicySpec {
    return assertValidPolicy(this.current());
  }
}
