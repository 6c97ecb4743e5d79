// The web UI in real Chromium against the API contract (support/contract-server.ts: the
// documented API shapes, validated with @pudu/schema, and a real shell as the VM).
// The same flow against a real `pudu server` and sandbox fleet is e2e-disk-full.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PuduClient } from '@pudu/client';
import { buildWebForTests } from './support/build.ts';
import { focused, foreignRequests, openBrowser, terminalText, waitUntil, watchFor, type BrowserSession } from './support/browser.ts';
import { startContractServer, type ContractOptions, type ContractServer } from './support/contract-server.ts';

const RESOLVE_BUDGET_MS = 1000;

function adminClient(server: ContractServer): PuduClient {
  return new PuduClient({ baseUrl: server.url, token: server.adminToken });
}

async function setup(t: { after(fn: () => Promise<void> | void): void }, options: ContractOptions = {}): Promise<{ server: ContractServer; webDir: string }> {
  const webDir = await buildWebForTests();
  const server = await startContractServer(webDir, options);
  t.after(async () => {
    await server.close();
    assert.deepEqual(server.violations, [], 'every response the UI got honoured @pudu/schema');
  });
  return { server, webDir };
}

async function signIn(s: BrowserSession, url: string, token: string): Promise<void> {
  await s.page.goto(url);
  await s.page.getByLabel('Access token').fill(token);
  await s.page.getByRole('button', { name: 'Sign in' }).click();
}

/** An admin browser, signed in, that started disk-full and opened its incident room. */
async function adminInRoom(t: { after(fn: () => Promise<void> | void): void }, server: ContractServer, viewport?: { width: number; height: number }): Promise<BrowserSession> {
  const admin = await openBrowser(viewport);
  t.after(() => admin.close());
  await signIn(admin, server.url, server.adminToken);
  await admin.page.getByRole('button', { name: 'Start The Disk That Ate Everything' }).click();
  await admin.page.getByRole('link', { name: 'Open the incident room' }).click();
  return admin;
}

test('a trainee signs in by link, reads the incident, takes a hint, fixes the disk in the terminal and sees Resolved with the API score within 1 s', async (t) => {
  const { server } = await setup(t);
  const admin = await openBrowser();
  t.after(() => admin.close());
  await admin.page.goto(server.url);
  await admin.page.getByRole('heading', { name: 'Sign in to Pudu' }).waitFor();
  await admin.screenshot('01-sign-in');
  await signIn(admin, server.url, server.adminToken);
  await admin.page.locator('.scenario-card[data-scenario="monolith/disk-full"]').waitFor();
  await admin.page.getByRole('button', { name: 'Start The Disk That Ate Everything' }).click();
  const link = await admin.page.locator('.share-link').inputValue();
  assert.match(link, new RegExp(`^${server.url}/#/join/run-1\\?token=pudu_tr_`));
  await admin.page.locator('table.runs tr[data-run="run-1"]').waitFor();
  await admin.screenshot('02-dashboard');

  // The instructor checks the link in their own browser first: a new tab signs in as the
  // trainee, and the instructor's own session stays.
  const check = await admin.context.newPage();
  await check.goto(link);
  await check.locator('.who', { hasText: 'trainee' }).waitFor();
  await check.close();
  await admin.page.reload();
  await admin.page.locator('.who', { hasText: 'admin' }).waitFor();

  const trainee = await openBrowser();
  t.after(() => trainee.close());
  await trainee.page.goto(link);
  await trainee.page.getByRole('heading', { name: 'The Disk That Ate Everything' }).waitFor();
  assert.equal(new URL(trainee.page.url()).hash, '#/runs/run-1', 'the token is removed from the address bar');
  await trainee.page.locator('.alert[data-alert="DiskSpaceCritical"]').waitFor();
  await trainee.page.locator('.alert[data-alert="DeploymentsFailing"]').waitFor({ timeout: 5000 });
  await trainee.page.locator('.objective[data-objective="disk-recovered"][data-passed="false"]').waitFor();
  await trainee.page.locator('.term-status[data-status="connected"]').waitFor();

  await trainee.page.locator('.xterm').click();
  await trainee.page.keyboard.type('ls -la\n');
  await trainee.page.locator('.xterm-rows', { hasText: 'var-log-filler.bin' }).waitFor();
  assert.ok(server.resizes.some((r) => r.vm === 40 && r.cols > 20 && r.rows > 5), 'the terminal sent its size as a JSON resize frame');

  await trainee.page.locator('.vm-charts[data-vm="app-0"] .chart[data-metric="diskUsedPct"] .chart-value', { hasText: '100%' }).waitFor();
  assert.ok(trainee.requests.every((u) => !u.includes('token=')), 'the token never appears in a URL the page requests');
  const hintButton = trainee.page.getByRole('button', { name: /Take a hint/ });
  assert.match(await hintButton.innerText(), /−10 points, 3 left/, 'the penalty is on the button before any hint');
  await hintButton.click();
  const dialog = trainee.page.getByRole('dialog', { name: 'Take a hint?' });
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /Hint 1 of 3\. It costs 10 points: your score would drop from 100 to 90\./);
  await dialog.getByRole('button', { name: 'Take the hint' }).click();
  await trainee.page.locator('.hint[data-hint="1"]', { hasText: 'df -h' }).waitFor();
  await trainee.page.locator('.score-parts', { hasText: 'hints 10' }).waitFor();
  assert.match(await trainee.page.getByRole('button', { name: /Take a hint/ }).innerText(), /−10 points, 2 left/);
  await trainee.screenshot('03-incident-room');

  await trainee.page.locator('.xterm').click();
  await trainee.page.keyboard.type('rm var-log-filler.bin');
  const shownAt = watchFor(trainee, '.banner-resolved');
  await trainee.page.keyboard.press('Enter');
  const fixedAt = Date.now();
  const resolveMs = (await shownAt) - fixedAt;
  const finalShown = await trainee.page.getByTestId('final-score').innerText();
  const apiStatus = await adminClient(server).getRun('run-1');
  assert.equal(apiStatus.state, 'resolved');
  assert.equal(Number(finalShown), apiStatus.score, 'the room shows the score the API reports');
  console.log(`# resolved shown ${resolveMs} ms after the fix (budget ${RESOLVE_BUDGET_MS} ms)`);
  assert.ok(resolveMs <= RESOLVE_BUDGET_MS, `Resolved appeared ${resolveMs} ms after the fix`);
  await trainee.page.locator('.objective[data-passed="true"]').waitFor();
  await trainee.page.locator('.chart[data-metric="diskUsedPct"] .chart-value', { hasText: '41%' }).waitFor({ timeout: 5000 }).catch(() => undefined);

  await trainee.page.getByRole('link', { name: 'See the result and timeline' }).click();
  await trainee.page.getByTestId('result-score').waitFor();
  assert.equal(Number(await trainee.page.getByTestId('result-score').innerText()), apiStatus.score);
  await trainee.page.getByText('Time penalty (after the 5m perfect window)').waitFor();
  await trainee.page.locator('.timeline .event[data-type="hint.taken"]').waitFor();
  await trainee.page.locator('.timeline .event[data-type="run.resolved"]').waitFor();
  // Each line is read from its kind's keys (schema/run-events.ts), not guessed.
  assert.equal(await trainee.page.locator('.timeline .event[data-type="hint.taken"] .event-text').first().innerText(), 'hint 1 (−10 points)');
  assert.equal(await trainee.page.locator('.timeline .event[data-type="run.resolved"] .event-text').innerText(), `score ${apiStatus.score}`);
  await trainee.screenshot('04-result');

  for (const s of [admin, trainee]) {
    assert.deepEqual(foreignRequests(s.requests, server.url), [], 'the UI talks to no host but the server');
    assert.deepEqual(s.errors.filter((e) => !/401|Failed to load resource/.test(e)), [], 'no script errors in the page');
  }
  assert.ok(existsSync(join(process.cwd(), 'test-artifacts', 'web', '04-result.png')));
});

test('an instructor sees the live run and drops into its terminal read-only', async (t) => {
  const { server } = await setup(t);
  const admin = await openBrowser();
  t.after(() => admin.close());
  await signIn(admin, server.url, server.adminToken);
  await admin.page.getByRole('button', { name: 'Start The Disk That Ate Everything' }).click();
  await admin.page.locator('.share-link').waitFor();
  await admin.page.getByRole('link', { name: 'Instructor' }).click();
  const card = admin.page.locator('.watch-card[data-run="run-1"]');
  await card.waitFor();
  assert.match(await card.innerText(), /Objectives 0\/1/);
  await admin.screenshot('05-instructor');
  await card.getByRole('link', { name: 'Drop in (read-only)' }).click();
  await admin.page.locator('.term-status[data-status="connected"]').waitFor();
  assert.deepEqual(server.terminals.at(-1), { vm: 40, readOnly: true }, 'the socket asks for a read-only stream');
  await admin.page.locator('.timeline .event[data-type="fault.applied"]').waitFor();
  assert.equal(await admin.page.locator('.timeline .event[data-type="fault.applied"] .event-text').innerText(), 'disk-fill-app on app-0');
  await admin.page.locator('.xterm').click();
  await admin.page.keyboard.type('touch typed-by-instructor\n');
  await admin.page.waitForTimeout(500);
  assert.equal(existsSync(join(server.workDir('run-1'), 'typed-by-instructor')), false, 'keystrokes from a read-only terminal reach nothing');
  assert.equal(await admin.page.getByRole('button', { name: /Take a hint/ }).count(), 0, 'no hint button when watching');
  await admin.screenshot('06-drop-in');
  assert.deepEqual(foreignRequests(admin.requests, server.url), []);
});

test('the incident room stays usable at a narrow laptop width and from the keyboard', async (t) => {
  const { server } = await setup(t);
  const admin = await adminInRoom(t, server, { width: 900, height: 700 });
  await admin.page.locator('.term-status[data-status="connected"]').waitFor();
  const overflow = await admin.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as number;
  assert.ok(overflow <= 0, `no horizontal scrolling at 900 px (overflow ${overflow} px)`);
  await admin.page.reload();
  await admin.page.locator('.term-status[data-status="connected"]').waitFor();
  await admin.page.keyboard.press('Tab');
  assert.equal((await focused(admin.page)).text, 'Skip to content');
  await admin.page.keyboard.press('Enter');
  assert.equal((await focused(admin.page)).id, 'main');
  await admin.page.getByRole('tab', { name: 'app-0' }).focus();
  await admin.page.keyboard.press('Enter');
  await admin.page.locator('.xterm-helper-textarea:focus').waitFor();
  await admin.page.keyboard.type('echo typed-from-keyboard\n');
  await waitUntil(admin.page, `(document.querySelector('.xterm-rows')?.textContent ?? '').split('typed-from-keyboard').length > 2`);
  assert.match(await terminalText(admin.page), /typed-from-keyboard/);
  await admin.screenshot('07-room-narrow');
  for (const [hash, ready] of [['#/', '.scenario-card'], ['#/instructor', '.watch-card'], ['#/runs/run-1/result', '.timeline .event']] as const) {
    await admin.page.goto(`${server.url}/${hash}`);
    await admin.page.locator(ready).first().waitFor();
    const wide = await admin.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as number;
    assert.ok(wide <= 0, `no horizontal scrolling on ${hash} at 900 px (overflow ${wide} px)`);
  }
  await admin.screenshot('07b-result-narrow');
});

test('a dropped terminal shows that it is reconnecting, comes back by itself and delivers what was typed meanwhile', async (t) => {
  const { server } = await setup(t);
  const admin = await adminInRoom(t, server);
  const status = admin.page.locator('.term-status');
  await status.and(admin.page.locator('[data-status="connected"]')).waitFor();
  const opened = server.terminals.length;
  server.dropTerminals();
  await status.and(admin.page.locator('[data-status="reconnecting"]')).waitFor();
  assert.match(await status.innerText(), /retrying in \d+ s/);
  await admin.screenshot('08-terminal-reconnecting');
  await admin.page.locator('.xterm').click();
  await admin.page.keyboard.type('echo typed-while-away\n');
  await status.and(admin.page.locator('[data-status="connected"]')).waitFor({ timeout: 5000 });
  assert.equal(server.terminals.length, opened + 1, 'one new socket, no storm');
  await waitUntil(admin.page, `(document.querySelector('.xterm-rows')?.textContent ?? '').split('typed-while-away').length > 2`);
});

test('a wrong token is refused on the sign-in form with the reason', async (t) => {
  const { server } = await setup(t);
  const s = await openBrowser();
  t.after(() => s.close());
  await signIn(s, server.url, 'pudu_not_a_token');
  await s.page.getByRole('alert').filter({ hasText: 'not valid (401)' }).waitFor();
  assert.equal(await s.page.getByRole('heading', { name: 'Sign in to Pudu' }).count(), 1);
});

test('an instructor runs a scenario file and sees every problem in it with its line and column', async (t) => {
  const { server } = await setup(t);
  const admin = await openBrowser();
  t.after(() => admin.close());
  await signIn(admin, server.url, server.adminToken);
  const broken = readFileSync(join(process.cwd(), 'scenarios/monolith/disk-full.yaml'), 'utf8')
    .replace('difficulty: easy', 'difficulty: trivial')
    .replace('    type: disk', '    type: diks');
  await admin.page.getByLabel('Scenario file').setInputFiles({ name: 'broken.yaml', mimeType: 'text/yaml', buffer: Buffer.from(broken) });
  await admin.page.getByRole('button', { name: 'Run this file' }).click();
  const problems = admin.page.locator('.problem-list li');
  await problems.first().waitFor();
  const lines = await problems.allInnerTexts();
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.ok(lines.some((l) => /^broken\.yaml:\d+:\d+: scenario\.difficulty: /.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^broken\.yaml:\d+:\d+: faults\[0\]\.type: /.test(l)), lines.join('\n'));
  await admin.screenshot('09-scenario-file-problems');
});

test('a trainee whose token is revoked mid-incident is sent back to sign-in with the reason', async (t) => {
  const { server } = await setup(t);
  const created = await adminClient(server).runScenario({ name: 'monolith/disk-full' });
  const s = await openBrowser();
  t.after(() => s.close());
  await s.page.goto(`${server.url}/#/join/${created.run.id}?token=${created.traineeToken}`);
  await s.page.locator('.objective[data-objective="disk-recovered"]').waitFor();
  server.revoke(created.traineeToken);
  await s.page.getByRole('alert').filter({ hasText: 'no longer accepts this token (401)' }).waitFor({ timeout: 5000 });
  assert.deepEqual(await s.page.evaluate('[localStorage.getItem("pudu.token"), sessionStorage.getItem("pudu.token")]'), [null, null], 'the dead token is forgotten');
});

test('an instructor aborts a run after confirming, and the room says so and stops its terminals', async (t) => {
  const { server } = await setup(t);
  const admin = await adminInRoom(t, server);
  await admin.page.locator('.term-status[data-status="connected"]').waitFor();
  const asked: string[] = [];
  admin.page.once('dialog', (d) => { asked.push(d.message()); void d.accept(); });
  await admin.page.getByRole('button', { name: 'Abort run' }).click();
  await admin.page.locator('.banner-aborted').waitFor();
  assert.match(asked[0] ?? '', /Every fault is reverted/);
  assert.equal(await admin.page.getByRole('button', { name: 'Abort run' }).isVisible(), false);
  server.dropTerminals();
  await admin.page.locator('.term-status[data-status="closed"]', { hasText: 'session ended' }).waitFor();
  await admin.page.waitForTimeout(1500);
  assert.equal(server.terminals.length, 1, 'no reconnect once the run is over');
});

test('the room warns once when a minute is left before the time limit', async (t) => {
  // 2:10 limit with 1:08 on the clock: the 1-minute mark is crossed ~2 s after opening.
  const { server } = await setup(t, { timeLimitMs: 130_000, startedAgoMs: 68_000 });
  const admin = await adminInRoom(t, server);
  await admin.page.locator('.toast', { hasText: '1m left before the time limit' }).waitFor({ timeout: 8000 });
  assert.equal(await admin.page.locator('.toast', { hasText: '5m left' }).count(), 0, 'no warning for a mark passed before the room opened');
  const used = await admin.page.locator('.time-progress').evaluate((e) => (e as HTMLProgressElement).value);
  assert.ok(used > 0.5 && used < 0.6, `the time bar shows the share of the limit used (${used})`);
});
