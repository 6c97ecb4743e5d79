// The result page's post-mortem: the report as the server renders it (printable, with the
// metric charts and their fault/fix markers), the replay, and the notes each side keeps.
import type { PuduClient } from '@pudu/client';
import { createReplay, type Replay } from '../components/replay.ts';
import { h, replaceChildren } from '../dom.ts';
import type { AppContext } from '../view.ts';

type Notes = Awaited<ReturnType<PuduClient['getRunNotes']>>;

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function notesForm(ctx: AppContext, runId: string, notes: Notes, onSaved: () => void): HTMLElement {
  const trainee = ctx.identity.role === 'trainee';
  const staff = ctx.identity.role === 'admin' || ctx.identity.role === 'instructor';
  const status = h('p', { class: 'muted small', role: 'status' });
  const account = h('textarea', { id: 'notes-trainee', rows: 5, disabled: !trainee }, notes.trainee);
  const feedback = h('textarea', { id: 'notes-feedback', rows: 4, disabled: !staff }, notes.instructor.feedback);
  const actions = h('textarea', { id: 'notes-actions', rows: 3, disabled: !staff }, notes.instructor.actionItems.join('\n'));
  const links = h('textarea', { id: 'notes-links', rows: 2, disabled: !staff }, notes.instructor.runbookLinks.join('\n'));
  const lines = (t: HTMLTextAreaElement): string[] => t.value.split('\n').map((l) => l.trim()).filter(Boolean);
  const save = h('button', { type: 'submit', class: 'primary', hidden: !trainee && !staff }, 'Save notes');
  const form = h('form', { class: 'notes-form', 'aria-labelledby': 'notes-title' },
    h('h2', { id: 'notes-title' }, 'Notes'),
    h('p', { class: 'muted small' }, 'Blameless: describe what the system did and what was tried. Editable after the run; kept with it.'),
    h('label', { for: 'notes-trainee' }, 'What I saw, what I tried (the responder)'), account,
    h('label', { for: 'notes-feedback' }, 'Feedback (the instructor)'), feedback,
    h('label', { for: 'notes-actions' }, 'Action items, one per line'), actions,
    h('label', { for: 'notes-links' }, 'Runbook links, one per line'), links,
    save, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    save.disabled = true;
    const body = trainee ? { trainee: account.value } : { instructor: { feedback: feedback.value, actionItems: lines(actions), runbookLinks: lines(links) } };
    ctx.client.updateRunNotes(runId, body).then(() => {
      status.textContent = 'Saved.';
      onSaved();
    }, (e: unknown) => { status.textContent = e instanceof Error ? e.message : String(e); }).finally(() => { save.disabled = false; });
  });
  return form;
}

/** The post-mortem block; call dispose() when the page goes. */
export function renderPostMortem(ctx: AppContext, runId: string): { el: HTMLElement; dispose(): void } {
  const frame = h('iframe', { class: 'report-frame', title: 'Post-mortem report', sandbox: 'allow-same-origin allow-modals allow-popups', 'data-testid': 'report-frame' });
  const replaySlot = h('div', {});
  const notesSlot = h('div', { class: 'panel' });
  let replay: Replay | null = null;
  const loadReport = (): void => {
    void ctx.client.getRunReportText(runId, 'html').then((html) => {
      frame.srcdoc = html;
    }, (e: unknown) => ctx.notify(e instanceof Error ? e.message : String(e), 'error'));
  };
  frame.addEventListener('load', () => {
    const body = frame.contentDocument?.body;
    if (body) frame.style.height = `${body.scrollHeight + 24}px`;
  });
  const actions = h('div', { class: 'report-actions' },
    h('button', { type: 'button', class: 'button', onclick: () => frame.contentWindow?.print() }, 'Print / save as PDF'),
    h('button', { type: 'button', class: 'button', onclick: () => void ctx.client.getRunReportText(runId, 'markdown').then((t) => download(`post-mortem-${runId}.md`, 'text/markdown', t)) }, 'Markdown'),
    h('button', { type: 'button', class: 'button', onclick: () => void ctx.client.getRunReport(runId).then((r) => download(`post-mortem-${runId}.json`, 'application/json', JSON.stringify(r, null, 2))) }, 'JSON'));
  const el = h('div', { class: 'post-mortem' },
    h('section', { class: 'panel', 'aria-labelledby': 'report-title' }, h('h2', { id: 'report-title' }, 'Post-mortem'), actions, frame),
    replaySlot, notesSlot);
  loadReport();
  void Promise.all([ctx.client.getRun(runId), ctx.client.listRecordings(runId), ctx.client.getRunHistory(runId), ctx.client.getRunNotes(runId)]).then(([run, recs, history, notes]) => {
    const start = Date.parse(run.startedAt ?? run.createdAt);
    replay = createReplay(ctx.client, runId, recs.recordings, history, start);
    replaceChildren(replaySlot, replay.el);
    replaceChildren(notesSlot, notesForm(ctx, runId, notes, loadReport));
  }, (e: unknown) => ctx.notify(e instanceof Error ? e.message : String(e), 'error'));
  return { el, dispose: () => replay?.dispose() };
}
