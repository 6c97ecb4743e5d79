// Issue 14 in Chromium against the real product: the sign-in page says sessions are
// recorded; a trainee works in the web terminal; the instructor drops into that same
// screen read-only, takes the keyboard (the trainee sees it) and gives it back; after the
// fix the result page shows the post-mortem with metric charts and fault/fix markers, and
// replays the session in asciinema-player with the run's events as seekable markers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildWebForTests, filesWithSource } from './support/build.ts';
import { foreignRequests, openBrowser, type BrowserSession } from './support/browser.ts';
import { startRealServer } from './support/real-server.ts';

const BOOT_TIMEOUT_MS = 180_000;
const IS_ROOT = process.getuid?.() === 0;

async function typeIn(s: BrowserSession, text: string): Promise<void> {
  await s.page.locator('.tab-panel:not([hidden]) .xterm').click();
  await s.page.keyboard.type(text);
}

test('recording notice, shared screen with take-the-keyboard, and the result page\'s post-mortem, charts and replay', { skip: IS_ROOT ? false : 'needs root for the sandbox driver', timeout: 900_000 }, async (t) => {
  const webDir = await buildWebForTests();
  const [playerChunk] = filesWithSource(webDir, 'node_modules/asciinema-player/');
  const playerLoads = (s: BrowserSession): number => s.requests.filter((u) => new URL(u).pathname === `/${playerChunk!}`).length;
  const server = await startRealServer(webDir);
  let runId = '';
  t.after(async () => {
    if (runId) await server.admin.abortRun(runId).catch(() => undefined);
    await server.stop();
  });
  const started = await server.admin.runScenario({ name: 'monolith/disk-full' });
  runId = started.run.id;

  const trainee = await openBrowser();
  t.after(async () => {
    console.log(`# trainee page errors: ${JSON.stringify(trainee.errors.slice(0, 5))}`);
    await trainee.screenshot('learning-zz-trainee-last').catch(() => undefined);
    await trainee.close();
  });
  await trainee.page.goto(server.url);
  assert.match(await trainee.page.getByTestId('recording-notice').innerText(), /Terminal sessions are recorded/);
  await trainee.page.goto(`${server.url}/#/join/${runId}?token=${started.traineeToken}`);
  await trainee.page.locator('.badge[data-state="running"]').waitFor({ timeout: BOOT_TIMEOUT_MS });
  await trainee.page.locator('.term-status[data-status="connected"]').waitFor({ timeout: 60_000 });
  await trainee.page.locator('.xterm-rows', { hasText: 'session is recorded' }).waitFor({ timeout: 15_000 });
  for (let attempt = 1; ; attempt++) {
    await typeIn(trainee, 'df -h /\n');
    if (await trainee.page.locator('.xterm-rows', { hasText: '100%' }).waitFor({ timeout: 3000 }).then(() => true, () => false)) break;
    assert.ok(attempt < 20, 'df -h / never showed 100 %');
  }

  // The instructor drops into the trainee's own screen: the df output is already there.
  const admin = await openBrowser();
  t.after(() => admin.close());
  await admin.page.goto(server.url);
  await admin.page.getByLabel('Access token').fill(server.adminToken);
  await admin.page.getByRole('button', { name: 'Sign in' }).click();
  await admin.page.locator('.scenario-card').first().waitFor();
  await admin.page.goto(`${server.url}/#/watch/${runId}`);
  await admin.page.locator('.term-status[data-status="connected"]').waitFor({ timeout: 60_000 });
  await admin.page.locator('.xterm-rows', { hasText: '100%' }).waitFor({ timeout: 10_000 });
  await trainee.page.locator('[data-testid="keyboard-badge"]', { hasText: '1 watching' }).waitFor({ timeout: 10_000 });
  await admin.page.getByRole('button', { name: 'Take the keyboard' }).click();
  await trainee.page.locator('[data-testid="keyboard-badge"]', { hasText: 'has the keyboard' }).waitFor({ timeout: 10_000 });
  await typeIn(admin, 'echo from-$((40+2))-instructor\n');
  await trainee.page.locator('.xterm-rows', { hasText: 'from-42-instructor' }).waitFor({ timeout: 10_000 });
  await trainee.screenshot('learning-01-trainee-sees-keyboard-taken');
  await admin.page.getByRole('button', { name: 'Give the keyboard back' }).click();
  await trainee.page.locator('[data-testid="keyboard-badge"]:not([data-holder=""])').waitFor({ state: 'detached', timeout: 10_000 }).catch(async () => {
    await trainee.page.locator('[data-testid="keyboard-badge"][data-holder=""]').waitFor({ timeout: 10_000 });
  });

  // The trainee fixes it; the run resolves.
  await typeIn(trainee, 'du -xa / 2>/dev/null | sort -rn | head -3\n');
  await typeIn(trainee, 'rm -f $(du -xa / 2>/dev/null | sort -rn | awk \'$2 ~ /\\.log$/ {print $2; exit}\')\n');
  await trainee.page.locator('.banner-resolved').waitFor({ timeout: 60_000 });

  // The result page: the report (charts with markers), the replay with seekable markers.
  assert.equal(playerLoads(trainee) + playerLoads(admin), 0, 'the incident room never fetched the replay player');
  await trainee.page.getByRole('link', { name: 'See the result and timeline' }).click();
  const frame = trainee.page.frameLocator('[data-testid="report-frame"]');
  await frame.locator('h1', { hasText: 'Post-mortem' }).waitFor({ timeout: 30_000 });
  await frame.locator('svg.chart[data-metric="diskUsedPct"] polyline').waitFor({ state: 'attached' });
  assert.ok(await frame.locator('svg.chart g.marker[data-kind="fault"]').count() > 0, 'fault markers on the charts');
  assert.ok(await frame.locator('svg.chart g.marker[data-kind="resolved"]').count() > 0, 'the fix on the charts');
  assert.ok(await frame.locator('table.commands', { hasText: 'df -h /' }).count() > 0, 'the commands are listed');
  await trainee.page.locator('[data-testid="replay-stage"] .ap-player').waitFor({ timeout: 30_000 });
  assert.equal(playerLoads(trainee), 1, 'the result page fetched the replay player once');
  const markers = trainee.page.locator('.replay-markers li');
  await markers.first().waitFor();
  assert.ok(await markers.count() >= 2, 'run events are markers on the replay');
  await trainee.page.locator('[data-testid="replay-stage"] .ap-marker').first().waitFor({ state: 'attached', timeout: 30_000 });
  await trainee.page.locator('.replay-markers li[data-kind="resolved"] button').click();
  // Seeking to the fix puts the earlier markers behind the playhead (the player marks them past).
  await trainee.page.locator('[data-testid="replay-stage"] .ap-marker.ap-marker-past').first().waitFor({ state: 'attached', timeout: 10_000 });
  assert.ok(await trainee.page.locator('[data-testid="replay-stage"] .ap-marker').count() >= 2, 'the player shows the markers on its progress bar');
  await trainee.page.locator('#notes-trainee').fill('Saw / full; du pointed at a debug log; removed it.');
  await trainee.page.getByRole('button', { name: 'Save notes' }).click();
  await frame.locator('pre.note', { hasText: 'du pointed at a debug log' }).waitFor({ timeout: 15_000 });
  await trainee.page.setViewportSize({ width: 1280, height: 2200 });
  await trainee.screenshot('learning-02-result-post-mortem');

  for (const s of [admin, trainee]) {
    assert.deepEqual(foreignRequests(s.requests, server.url), [], 'no request to any host but the server');
    assert.deepEqual(s.errors.filter((e) => !/favicon/.test(e)), [], 'no console or page errors (CSP included)');
  }
});
