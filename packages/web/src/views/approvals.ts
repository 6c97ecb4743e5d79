// Approvals: propose an experiment, review one (charter, pre-checks, the policy's
// explanation, the diff against the last approved version), approve or reject it with a
// comment, and run it once approved. Every call goes through @pudu/client.
import type { Experiment } from '@pudu/schema';
import { h, replaceChildren } from '../dom.ts';
import { routeHash } from '../router.ts';
import type { AppContext, View } from '../view.ts';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function renderCharter(e: Experiment): HTMLElement {
  const c = e.charter;
  if (!c) return h('p', { class: 'muted' }, 'This scenario has no charter.');
  return h('dl', { class: 'charter' },
    h('dt', {}, 'Hypothesis'), h('dd', {}, c.hypothesis),
    h('dt', {}, 'Owner'), h('dd', {}, c.owner),
    h('dt', {}, 'Scope'), h('dd', {}, c.scope),
    h('dt', {}, 'Success criteria'), h('dd', {}, h('ul', {}, c.success_criteria.map((x) => h('li', {}, x)))),
    h('dt', {}, 'Rollback'), h('dd', {}, c.rollback),
    c.approvers?.length ? [h('dt', {}, 'Approvers'), h('dd', {}, c.approvers.join(', '))] : null,
    c.window ? [h('dt', {}, 'Window'), h('dd', {}, c.window)] : null);
}

function renderDecision(e: Experiment): HTMLElement {
  return h('table', { class: 'decision' },
    h('thead', {}, h('tr', {}, ['Fault', 'Type', 'VMs', 'Outcome', 'Rule', 'Why'].map((x) => h('th', {}, x)))),
    h('tbody', {}, e.decision.faults.map((f) => h('tr', { 'data-outcome': f.outcome },
      h('td', {}, f.fault), h('td', {}, f.type), h('td', {}, f.vms.join(', ')), h('td', {}, f.outcome), h('td', {}, f.rule ?? '(none)'), h('td', {}, f.reason)))));
}

function renderDetail(ctx: AppContext, e: Experiment, reload: () => void): HTMLElement {
  const comment = h('textarea', { id: 'vote-comment', 'aria-label': 'Comment', rows: 2, placeholder: 'Comment (required to reject)' });
  const act = (what: 'approve' | 'reject' | 'run') => async (): Promise<void> => {
    try {
      if (what === 'approve') await ctx.client.call('approveExperiment', { params: { id: e.id }, body: { sha256: e.sha256, ...(comment.value ? { comment: comment.value } : {}) } });
      else if (what === 'reject') await ctx.client.call('rejectExperiment', { params: { id: e.id }, body: { sha256: e.sha256, comment: comment.value } });
      else {
        const out = await ctx.client.call('runExperiment', { params: { id: e.id } });
        ctx.notify(`Experiment ${e.id} is running as run ${out.run.id}`, 'success');
      }
      reload();
    } catch (err) {
      ctx.notify(errorText(err), 'error');
    }
  };
  const mine = e.proposer === ctx.identity.user;
  return h('section', { class: 'panel experiment', 'data-experiment': e.id, 'data-state': e.state },
    h('h1', {}, `${e.title} `, h('span', { class: 'badge experiment-state' }, e.state)),
    h('p', { class: 'muted small' }, `Experiment ${e.id} · ${e.environment} · window ${e.window ?? 'any time'} · proposed by ${e.proposer} · version ${e.version} · sha256 ${e.sha256.slice(0, 12)}`),
    e.runId ? h('p', {}, h('a', { class: 'run-link', href: routeHash({ name: 'result', runId: e.runId }) }, `Run ${e.runId}`)) : null,
    h('h2', {}, 'Charter'), renderCharter(e),
    h('h2', {}, 'Pre-checks'), h('ul', { class: 'checks' }, e.checks.map((c) => h('li', { 'data-ok': String(c.ok) }, `${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`))),
    h('h2', {}, 'Policy'), h('p', { class: 'decision-outcome' }, e.decision.outcome === 'approval' ? `Needs ${e.decision.requirements.map((r) => `${r.count} approval(s) from ${r.from.join(' or ')}`).join(' and ')}` : e.decision.outcome === 'allow' ? 'Allowed without approval' : 'Denied'),
    renderDecision(e),
    h('h2', {}, 'Approvals'),
    h('ul', { class: 'progress-list' }, e.progress.map((p) => h('li', {}, `${p.by.length}/${p.count} from ${p.from.join(' or ')}${p.by.length ? `: ${p.by.join(', ')}` : ''}`))),
    h('ul', { class: 'votes' }, e.votes.map((v) => h('li', { 'data-valid': String(v.valid) }, `${v.user} (${v.role}) ${v.decision}d${v.valid ? '' : ' an earlier version (void)'}${v.comment ? `: “${v.comment}”` : ''}`))),
    e.previous ? [h('h2', {}, `Changes since version ${e.previous.version}${e.previous.approved ? ' (approved)' : ''}`), h('pre', { class: 'diff' }, e.previous.diff)] : null,
    h('div', { class: 'vote' },
      comment,
      h('button', { type: 'button', class: 'button primary', disabled: mine || e.state !== 'pending', title: mine ? 'You proposed it: someone else approves' : null, onclick: act('approve') }, 'Approve'),
      h('button', { type: 'button', class: 'button', disabled: e.state !== 'pending' && e.state !== 'approved', onclick: act('reject') }, 'Reject'),
      h('button', { type: 'button', class: 'button', disabled: e.state !== 'approved', onclick: act('run') }, 'Run')));
}

/** `#/approvals/<id>`: one experiment. */
export function renderExperiment(ctx: AppContext, id: string): View {
  const el = h('main', { id: 'main', class: 'approvals', tabindex: '-1' }, h('p', { class: 'muted' }, 'Loading…'));
  const load = (): void => {
    ctx.client.call('getExperiment', { params: { id } })
      .then((e) => replaceChildren(el, h('p', {}, h('a', { href: '#/approvals' }, '← All experiments')), renderDetail(ctx, e, load)))
      .catch((e: unknown) => ctx.notify(errorText(e), 'error'));
  };
  load();
  return { el, dispose: () => undefined };
}

/** `#/approvals`: every experiment and a form to propose one. */
export function renderApprovals(ctx: AppContext): View {
  const list = h('div', { class: 'experiment-list' }, h('p', { class: 'muted' }, 'Loading…'));
  const yaml = h('textarea', { id: 'propose-yaml', 'aria-label': 'Scenario YAML', rows: 10 });
  const env = h('input', { id: 'propose-env', 'aria-label': 'Environment', value: 'training' });
  const load = (): void => {
    ctx.client.call('listExperiments', {}).then(({ experiments }) => {
      replaceChildren(list, experiments.length === 0 ? h('p', { class: 'muted empty' }, 'No experiments yet.')
        : h('ul', {}, experiments.map((x) => h('li', { 'data-experiment': x.id },
          h('a', { href: `#/approvals/${encodeURIComponent(x.id)}` }, `${x.title} (${x.environment})`), ` — ${x.state}, by ${x.proposer}`))));
    }).catch((e: unknown) => ctx.notify(errorText(e), 'error'));
  };
  const propose = async (): Promise<void> => {
    try {
      const e = await ctx.client.call('proposeExperiment', { body: { yaml: yaml.value, file: 'proposal.yaml', environment: env.value } });
      ctx.notify(`Experiment ${e.id}: ${e.state}`, e.state === 'denied' ? 'error' : 'success');
      location.hash = `#/approvals/${encodeURIComponent(e.id)}`;
    } catch (e) {
      ctx.notify(errorText(e), 'error');
    }
  };
  load();
  const el = h('main', { id: 'main', class: 'approvals', tabindex: '-1' },
    h('section', { class: 'panel' }, h('h1', {}, 'Experiments'), list),
    h('section', { class: 'panel' }, h('h2', {}, 'Propose an experiment'),
      h('label', {}, 'Environment ', env), h('label', { class: 'block' }, 'Scenario YAML', yaml),
      h('button', { type: 'button', class: 'button primary', onclick: () => void propose() }, 'Propose')));
  return { el, dispose: () => undefined };
}
