/**
 * Propose → check → approve → run. A proposal is pre-checked (validate, compile, policy,
 * capacity) and lands pending, approved (no approval needed) or denied. Approvals are
 * pinned to the sha256 of scenario text + environment + window: a new version voids them.
 * The proposer never approves their own; the policy says how many distinct people, from
 * which roles or groups. An approved experiment runs inside its window as a linked run.
 */
import { randomBytes } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import {
  actorOf, approvalProgress, countsToward, evaluatePolicy, experimentSha256, experimentWindow, nextWindowOpeningOrNow, type Actor, type CompiledScenario,
} from '@pudu/engine';
import {
  nextWindowOpening, PuduError, windowContains, type Experiment, type ExperimentProposeRequest, type RunStatus,
} from '@pudu/schema';
import type { Principal } from '../auth/tokens.ts';
import type { Library } from '../library.ts';
import type { PolicySource } from '../policy/policy-source.ts';
import { compileOrThrow, scenarioText } from '../policy/scenario-source.ts';
import { currentVersion, type ExperimentDoc, type PreCheck } from './experiment-doc.ts';
import type { ExperimentStore } from './experiment-store.ts';
import { checkCapacity } from './capacity.ts';

interface Deps {
  store: ExperimentStore;
  policy: PolicySource;
  library: Library;
  startRun(input: { yaml: string; file: string; seed?: number; environment: string }, by: Principal, link: { experimentId: string; actor: Actor }): Promise<{ run: RunStatus; traineeToken: string }>;
  audit(actor: string, action: string, target: string, detail: string): Promise<void>;
  log(msg: string): void;
}

/** How often approved experiments with autoStart are checked against their window. */
const AUTOSTART_POLL_MS = 1000;

export class ExperimentManager {
  private chain = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly d: Deps) {}

  /** One change at a time per experiment (two approvers clicking at once both count, in order). */
  private locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chain.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.chain.set(id, next.catch(() => undefined));
    return next;
  }

  private proposerActor(doc: ExperimentDoc): Actor {
    return actorOf(this.d.policy.spec(), doc.proposer.role, doc.proposer.groups);
  }

  /** Validate, compile, policy, capacity for one version; throws when the input itself is wrong (nothing is stored). */
  private precheck(yaml: string, file: string, environment: string, windowText: string | null, actor: Actor, seed: number | null): { plan: CompiledScenario; decision: ExperimentDoc['decision']; checks: PreCheck[] } {
    const plan = compileOrThrow(yaml, file, seed === null ? {} : { seed });
    const opens = nextWindowOpeningOrNow(windowText ?? plan.charter?.window ?? null, Date.now());
    const decision = evaluatePolicy(this.d.policy.spec(), plan, environment, actor, opens);
    const capacity = checkCapacity(plan);
    const checks: PreCheck[] = [
      { name: 'validate', ok: true, detail: `${file} is a valid scenario` },
      { name: 'compile', ok: true, detail: `${plan.vms.length} VM(s), ${plan.faults.length} fault injection(s), time limit ${Math.round(plan.timeLimitMs / 60_000)} min` },
      { name: 'policy', ok: decision.outcome !== 'deny', detail: decision.outcome === 'allow' ? 'allowed, no approval needed' : decision.reasons.join('; ') },
      capacity,
    ];
    return { plan, decision, checks };
  }

  private stateAfterCheck(doc: ExperimentDoc): ExperimentDoc['state'] {
    // Capacity is advice: the host may have room by the time the experiment runs.
    if (doc.decision.outcome === 'deny' || doc.checks.some((c) => !c.ok && c.name !== 'capacity')) return 'denied';
    if (doc.decision.outcome === 'allow') return 'approved';
    return approvalProgress(doc.decision.requirements, this.validVotes(doc), doc.proposer.user).met ? 'approved' : 'pending';
  }

  private validVotes(doc: ExperimentDoc): ExperimentDoc['votes'] {
    const sha = currentVersion(doc).sha256;
    return doc.votes.filter((v) => v.decision === 'approve' && v.sha256 === sha);
  }

  async propose(body: ExperimentProposeRequest, by: Principal): Promise<Experiment> {
    const { yaml, file } = await scenarioText(this.d.library, body);
    const actor = actorOf(this.d.policy.spec(), by.policyRole, by.groups);
    const seed = body.seed ?? null;
    const { plan, decision, checks } = this.precheck(yaml, file, body.environment, body.window ?? null, actor, seed);
    const window = body.window ?? plan.charter?.window ?? null;
    const now = new Date().toISOString();
    const doc: ExperimentDoc = {
      id: `x${randomBytes(4).toString('hex')}`, state: 'pending', createdAt: now, updatedAt: now, environment: body.environment,
      autoStart: body.autoStart ?? false, seed, proposer: { user: by.user, name: by.name, role: by.policyRole, groups: by.groups },
      title: plan.title, scenarioId: plan.id, charter: plan.charter,
      versions: [{ version: 1, yaml, file, window, sha256: experimentSha256(yaml, body.environment, window), at: now, by: by.user }],
      votes: [], decision, checks, runId: null, approvedVersions: [],
    };
    doc.state = this.stateAfterCheck(doc);
    if (doc.state === 'approved') doc.approvedVersions.push(1);
    await this.d.store.put(doc);
    return this.view(doc);
  }

  async update(id: string, body: { yaml: string; file?: string; window?: string }, by: Principal): Promise<Experiment> {
    return this.locked(id, async () => {
      const doc = await this.load(id);
      if (doc.state === 'started' || doc.state === 'expired') throw new PuduError('EXPERIMENT_STATE', `experiment ${id} is ${doc.state}; propose a new one`);
      if (by.user !== doc.proposer.user && by.role !== 'admin') throw new PuduError('FORBIDDEN', `only the proposer (${doc.proposer.user}) or an admin may change experiment ${id}`);
      const prev = currentVersion(doc);
      const file = body.file ?? prev.file;
      const window = body.window ?? prev.window;
      const { plan, decision, checks } = this.precheck(body.yaml, file, doc.environment, window, this.proposerActor(doc), doc.seed);
      const sha256 = experimentSha256(body.yaml, doc.environment, window);
      if (sha256 === prev.sha256) return this.view(doc);
      const now = new Date().toISOString();
      doc.versions.push({ version: prev.version + 1, yaml: body.yaml, file, window, sha256, at: now, by: by.user });
      Object.assign(doc, { decision, checks, title: plan.title, scenarioId: plan.id, charter: plan.charter, updatedAt: now });
      const voided = doc.votes.filter((v) => v.decision === 'approve' && v.sha256 === prev.sha256).length;
      doc.state = this.stateAfterCheck(doc);
      if (doc.state === 'approved') doc.approvedVersions.push(prev.version + 1);
      await this.d.store.put(doc);
      if (voided) await this.d.audit(by.user, 'experiment.approvals-voided', `experiment ${id}`, `${voided} approval(s) of version ${prev.version} voided by version ${prev.version + 1}`);
      return this.view(doc);
    });
  }

  async vote(id: string, decision: 'approve' | 'reject', body: { sha256?: string; comment?: string }, by: Principal): Promise<Experiment> {
    return this.locked(id, async () => {
      const doc = await this.load(id);
      const cur = currentVersion(doc);
      if (doc.state !== 'pending' && doc.state !== 'approved') throw new PuduError('EXPERIMENT_STATE', `experiment ${id} is ${doc.state}; only pending or approved experiments take votes`);
      if (body.sha256 !== undefined && body.sha256 !== cur.sha256) {
        throw new PuduError('APPROVAL_STALE', `experiment ${id} changed since you reviewed it: you saw ${body.sha256.slice(0, 12)}, it is now version ${cur.version} (${cur.sha256.slice(0, 12)}); review it again`);
      }
      const actor = actorOf(this.d.policy.spec(), by.policyRole, by.groups);
      const own = by.user === doc.proposer.user;
      if (decision === 'approve') {
        if (own) throw new PuduError('SELF_APPROVAL', `${by.user} proposed experiment ${id} and cannot approve it: approvals need someone else`);
        if (!actor.approver) throw new PuduError('NOT_AN_APPROVER', `role ${actor.role} may not approve experiments (the policy gives the approver capability to roles)`);
        if (!countsToward(doc.decision.requirements, actor.names)) {
          const need = doc.decision.requirements.map((r) => r.from.join(' or ')).join('; ') || 'nobody (it needs no approval)';
          throw new PuduError('NOT_AN_APPROVER', `experiment ${id} needs approvals from ${need}; ${by.user} is ${actor.names.join('/')}`);
        }
        if (this.validVotes(doc).some((v) => v.user === by.user)) throw new PuduError('ALREADY_APPROVED', `${by.user} already approved version ${cur.version} of experiment ${id}`);
      } else if (!own && !actor.approver) {
        throw new PuduError('NOT_AN_APPROVER', `role ${actor.role} may not reject experiments; the proposer may withdraw it`);
      }
      const now = new Date().toISOString();
      doc.votes.push({ user: by.user, role: actor.role, names: actor.names, decision, comment: body.comment ?? '', sha256: cur.sha256, at: now });
      doc.updatedAt = now;
      if (decision === 'reject') doc.state = 'rejected';
      else {
        doc.state = this.stateAfterCheck(doc);
        if (doc.state === 'approved' && !doc.approvedVersions.includes(cur.version)) doc.approvedVersions.push(cur.version);
      }
      await this.d.store.put(doc);
      return this.view(doc);
    });
  }

  /** Runs an approved experiment now: inside its window, with the policy as it is now. */
  async run(id: string, by: Principal): Promise<{ run: RunStatus; traineeToken: string }> {
    return this.locked(id, async () => {
      const doc = await this.load(id);
      const cur = currentVersion(doc);
      if (doc.state !== 'approved') {
        const p = approvalProgress(doc.decision.requirements, this.validVotes(doc), doc.proposer.user);
        const missing = p.progress.filter((x) => !x.met).map((x) => `${x.count - x.by.length} more from ${x.from.join(' or ')}`).join(', ');
        throw new PuduError(doc.state === 'pending' ? 'APPROVAL_REQUIRED' : 'EXPERIMENT_STATE', `experiment ${id} is ${doc.state}${missing ? `: needs ${missing}` : ''}`);
      }
      const win = experimentWindow(cur.window);
      const now = Date.now();
      if (win && !windowContains(win, now)) {
        const next = nextWindowOpening(win, now);
        throw new PuduError('OUTSIDE_WINDOW', `experiment ${id} may run only within ${win.text}; ${next === null ? 'that window is over' : `it opens at ${new Date(next).toISOString()}`}`);
      }
      // The policy may have changed since approval: decide again, now, with the proposer's permissions.
      const actor = this.proposerActor(doc);
      const plan = compileOrThrow(cur.yaml, cur.file, doc.seed === null ? {} : { seed: doc.seed });
      const decision = evaluatePolicy(this.d.policy.spec(), plan, doc.environment, actor, now);
      if (decision.outcome === 'deny') throw new PuduError('POLICY_DENIED', `the policy now denies experiment ${id}: ${decision.reasons.join('; ')}`, { decision });
      if (!approvalProgress(decision.requirements, this.validVotes(doc), doc.proposer.user).met) {
        doc.decision = decision;
        doc.state = 'pending';
        await this.d.store.put(doc);
        throw new PuduError('APPROVAL_REQUIRED', `the policy now asks more approvals of experiment ${id} than it has: ${decision.reasons.join('; ')}`, { decision });
      }
      const out = await this.d.startRun({ yaml: cur.yaml, file: cur.file, environment: doc.environment, ...(doc.seed === null ? {} : { seed: doc.seed }) }, by, { experimentId: id, actor });
      doc.state = 'started';
      doc.runId = out.run.id;
      doc.updatedAt = new Date().toISOString();
      await this.d.store.put(doc);
      return out;
    });
  }

  async get(id: string): Promise<Experiment> {
    return this.view(await this.load(id));
  }

  async list(): Promise<{ id: string; state: ExperimentDoc['state']; title: string; scenarioId: string; environment: string; window: string | null; proposer: string; createdAt: string; updatedAt: string; version: number; runId: string | null; outcome: 'allow' | 'approval' | 'deny' }[]> {
    return (await this.d.store.list()).map((doc) => {
      const cur = currentVersion(doc);
      return {
        id: doc.id, state: doc.state, title: doc.title, scenarioId: doc.scenarioId, environment: doc.environment, window: cur.window,
        proposer: doc.proposer.user, createdAt: doc.createdAt, updatedAt: doc.updatedAt, version: cur.version, runId: doc.runId, outcome: doc.decision.outcome,
      };
    });
  }

  private async load(id: string): Promise<ExperimentDoc> {
    const doc = await this.d.store.get(id);
    if (!doc) throw new PuduError('EXPERIMENT_NOT_FOUND', `no experiment ${id}`);
    return doc;
  }

  /** The API's view: votes marked valid or voided, progress, and the diff against the last approved version. */
  view(doc: ExperimentDoc): Experiment {
    const cur = currentVersion(doc);
    const progress = approvalProgress(doc.decision.requirements, this.validVotes(doc), doc.proposer.user).progress;
    const earlier = [...doc.versions].reverse().find((v) => v.version < cur.version && (doc.approvedVersions.includes(v.version) || doc.votes.some((x) => x.sha256 === v.sha256 && x.decision === 'approve')));
    const previous = earlier ? {
      version: earlier.version, sha256: earlier.sha256, approved: doc.approvedVersions.includes(earlier.version),
      diff: createTwoFilesPatch(`version ${earlier.version}`, `version ${cur.version}`, `${earlier.yaml}${earlier.window ? `\n# window: ${earlier.window}\n` : ''}`, `${cur.yaml}${cur.window ? `\n# window: ${cur.window}\n` : ''}`),
    } : null;
    return {
      id: doc.id, state: doc.state, title: doc.title, scenarioId: doc.scenarioId, environment: doc.environment, window: cur.window, autoStart: doc.autoStart,
      proposer: doc.proposer.user, createdAt: doc.createdAt, updatedAt: doc.updatedAt, version: cur.version, sha256: cur.sha256, file: cur.file, yaml: cur.yaml,
      charter: doc.charter, decision: doc.decision, checks: doc.checks, progress,
      votes: doc.votes.map((v) => ({ ...v, valid: v.sha256 === cur.sha256 })), runId: doc.runId, previous,
    };
  }

  /** Starts approved autoStart experiments when their window opens; marks ones whose window is over. */
  startScheduler(system: Principal): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tickScheduler(system), AUTOSTART_POLL_MS);
    this.timer.unref?.();
  }

  stopScheduler(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async tickScheduler(system: Principal): Promise<void> {
    const now = Date.now();
    for (const doc of await this.d.store.list().catch(() => [])) {
      if (doc.state !== 'approved' && doc.state !== 'pending') continue;
      const win = experimentWindow(currentVersion(doc).window);
      if (win && nextWindowOpening(win, now) === null) {
        await this.locked(doc.id, async () => {
          const fresh = await this.load(doc.id);
          if (fresh.state !== 'approved' && fresh.state !== 'pending') return;
          fresh.state = 'expired';
          await this.d.store.put(fresh);
        });
        continue;
      }
      if (doc.state === 'approved' && doc.autoStart && (!win || windowContains(win, now))) {
        await this.run(doc.id, system).catch((e: unknown) => this.d.log(`experiment ${doc.id}: auto-start refused: ${(e as Error).message}`));
      }
    }
  }
}
