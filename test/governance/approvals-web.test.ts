// Acceptance 6 of issue 13: the approvals page in Chromium against a real server with the
// documented policy — an engineer proposes, two SREs approve in their own browsers (the
// proposer's Approve button is disabled), the engineer runs it; the run is linked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildWebForTests } from '../web/support/build.ts';
import { openBrowser, type BrowserSession } from '../web/support/browser.ts';
import { REPO_ROOT, startTestServer } from '../server/harness.ts';
import { MATRIX_CASES, matrixScenario } from '../../packages/engine/src/policy/matrix-cases.ts';

const STOP_POSTGRES = MATRIX_CASES.find((c) => c.name === 'stop postgresql in the lab as engineer')!;

async function signIn(t: { after(fn: () => Promise<void>): void }, url: string, token: string): Promise<BrowserSession> {
  const b = await openBrowser();
  t.after(() => b.close());
  await b.page.goto(`${url}/#/approvals`);
  await b.page.getByLabel('Access token').fill(token);
  await b.page.getByRole('button', { name: 'Sign in' }).click();
  return b;
}

test('the approvals page: propose in the browser, approve as two other users, run; the proposer cannot approve', { timeout: 180_000 }, async (t) => {
  const webDir = await buildWebForTests();
  const s = await startTestServer(t, { webDir, policyFile: join(REPO_ROOT, 'docs/examples/blast-radius-policy.yaml') });
  const mint = async (role: string, user: string): Promise<string> => (await s.client().createToken({ role, name: user, user })).token;
  const [eveToken, annToken, bobToken] = [await mint('engineer', 'eve'), await mint('sre', 'ann'), await mint('sre', 'bob')];

  const eve = await signIn(t, s.url, eveToken);
  await eve.page.locator('#propose-yaml').waitFor();
  await eve.page.locator('#propose-env').fill('lab');
  await eve.page.locator('#propose-yaml').fill(matrixScenario(STOP_POSTGRES.fault));
  await eve.page.getByRole('button', { name: 'Propose' }).click();
  await eve.page.locator('.experiment[data-state="pending"]').waitFor();
  const id = await eve.page.locator('.experiment').getAttribute('data-experiment');
  assert.ok(id);
  assert.match(await eve.page.locator('.decision-outcome').innerText(), /Needs 2 approval\(s\) from sre/);
  assert.equal(await eve.page.getByRole('button', { name: 'Approve' }).isDisabled(), true, 'the proposer cannot approve');
  await eve.screenshot('approvals-01-proposed');

  for (const [token, comment] of [[annToken, 'lab only, fine'], [bobToken, 'ok with a DBA watching']] as const) {
    const sre = await signIn(t, s.url, token);
    await sre.page.goto(`${s.url}/#/approvals/${id}`);
    await sre.page.locator('.experiment').waitFor();
    assert.match(await sre.page.locator('.experiment').innerText(), /Charter[\s\S]*Pre-checks[\s\S]*stateful-process-kill-lab-only/i);
    await sre.page.locator('#vote-comment').fill(comment);
    await sre.page.getByRole('button', { name: 'Approve' }).click();
    await sre.page.locator(`.votes li:has-text("${comment}")`).waitFor();
    await sre.screenshot(`approvals-02-approved-by-${comment.split(' ')[0]}`);
  }

  await eve.page.reload();
  await eve.page.locator('.experiment[data-state="approved"]').waitFor();
  await eve.page.getByRole('button', { name: 'Run' }).click();
  await eve.page.locator('.experiment[data-state="started"] .run-link').waitFor();
  await eve.screenshot('approvals-03-started');
  const x = await s.client().call('getExperiment', { params: { id } });
  assert.equal(x.state, 'started');
  const run = await s.client().getRun(x.runId!);
  assert.equal(run.experimentId, id);
  assert.deepEqual(x.votes.map((v) => [v.user, v.valid]), [['ann', true], ['bob', true]]);
  console.log('# page errors', JSON.stringify(eve.errors));
});
