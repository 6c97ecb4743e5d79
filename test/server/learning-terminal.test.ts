/**
 * Issue 14, acceptance 1 and 2 on a real VM (sandbox driver, real sshd): a scripted trainee
 * solves disk-full in the terminal; the session is recorded as asciicast v2 that Debian's
 * `asciinema play` accepts; the commands (df, du, rm) come back with times between the
 * fault and the resolution; an instructor watching sees the trainee's output at once, is
 * read-only by default, takes the keyboard (the trainee is told; the audit log has it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { apiPath } from '@pudu/schema';
import { REPO_ROOT } from './harness.ts';
import { sandboxSkipReason, startSandboxServer } from './sandbox-server.ts';
import { waitFor } from './vm-shell.ts';
import { openTerminal } from './terminal-ws-client.ts';
import { assertBlameless, inkOnFirstPage } from './report-checks.ts';
import { startReceiver } from './webhook-receiver.ts';
import { signWebhook } from '../../packages/server/src/webhooks/webhooks.ts';

const run = promisify(execFile);
const PROMPT = 'root@app-0:';

test('a trainee\'s disk-full session is recorded, replays in asciinema, yields its commands; a watcher sees it live, read-only until it takes the keyboard', { skip: sandboxSkipReason(), timeout: 240_000 }, async (t) => {
  const s = await startSandboxServer(t);
  const admin = s.client();
  // Webhooks: a receiver that works and one that always fails; neither may hold the run up.
  const good = await startReceiver();
  const bad = await startReceiver(() => 503);
  t.after(() => good.close());
  t.after(() => bad.close());
  const hookSecret = 'test-secret-0123456789';
  await admin.createWebhook({ url: good.url, events: ['run.started', 'run.resolved'], secret: hookSecret });
  await admin.createWebhook({ url: bad.url, events: ['*'], secret: hookSecret });
  const { run: started, traineeToken } = await admin.runScenario({ name: 'monolith/disk-full' });
  const id = started.id;
  s.defer(() => admin.abortRun(id));
  const incident = await waitFor('the incident', async () => {
    const r = await admin.getRun(id);
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') && r.objectives.some((o) => !o.passing) ? r : undefined;
  }, 120_000, 250);
  const vm = incident.vms[0]!;
  const wsUrl = `${s.url.replace('http', 'ws')}${apiPath('terminal', {}, { vm: vm.index })}`;

  const trainee = await openTerminal(`${wsUrl}&cols=100&rows=30`, traineeToken);
  t.after(() => trainee.close());
  await trainee.seen('session is recorded');
  await trainee.seen(PROMPT);
  trainee.type('df -h /\r');
  await trainee.seen('100%');

  // A late joiner gets the current screen (the df output is already on it), then the live stream.
  const instructorTok = await admin.createToken({ role: 'instructor', name: 'Ines' });
  const watcher = await openTerminal(`${wsUrl}&mode=readonly`, instructorTok.token);
  t.after(() => watcher.close());
  await watcher.seen('100%', 5000);
  assert.ok(watcher.controls.some((c) => c.type === 'size' && c.cols === 100 && c.rows === 30), `the watcher is told the pty size: ${JSON.stringify(watcher.controls)}`);

  // The trainee's keystrokes' output reaches the watcher as it reaches the trainee.
  const sentAt = Date.now();
  trainee.type('echo mark-$((6*7))-x\r');
  const [traineeAt, watcherAt] = await Promise.all([trainee.seen('mark-42-x'), watcher.seen('mark-42-x')]);
  console.log(`# keystroke → output: trainee ${traineeAt - sentAt} ms, watcher ${watcherAt - sentAt} ms (fan-out ${watcherAt - traineeAt} ms)`);
  assert.ok(watcherAt - sentAt < 200, `the watcher saw the output ${watcherAt - sentAt} ms after the keystroke`);

  // Read-only by default: a watcher's keystrokes never reach the shell.
  watcher.type('echo watcher-$((1+1))-typed\r');
  await new Promise((r) => setTimeout(r, 700));
  assert.ok(!trainee.text().includes('watcher-2-typed'), 'a read-only watcher cannot type');

  // An observer may watch but not take the keyboard (refused and audited).
  const observerTok = await admin.createToken({ role: 'observer', name: 'Olga' });
  const observer = await openTerminal(`${wsUrl}&mode=readonly`, observerTok.token);
  t.after(() => observer.close());
  await observer.seen('mark-42-x', 5000);
  observer.control({ type: 'take-keyboard' });
  await waitFor('the refusal', async () => observer.controls.find((c) => c.type === 'notice' && String(c.message).includes('may only watch')), 5000, 20);

  // The instructor takes the keyboard: the trainee is told, the instructor types, it is audited.
  watcher.control({ type: 'take-keyboard' });
  await waitFor('the trainee is told', async () => trainee.controls.find((c) => c.type === 'keyboard' && c.holder === 'Ines'), 5000, 20);
  assert.ok(trainee.controls.some((c) => c.type === 'notice' && /Ines \(instructor\) has taken the keyboard/.test(String(c.message))));
  watcher.type('echo from-$((2+3))-instructor\r');
  await trainee.seen('from-5-instructor');
  watcher.control({ type: 'release-keyboard' });
  await waitFor('the keyboard back', async () => trainee.controls.find((c) => c.type === 'keyboard' && c.holder === null && c !== trainee.controls[0]), 5000, 20);
  const audit = await admin.listAudit(50);
  assert.ok(audit.some((a) => a.action === 'terminal.take-keyboard' && a.result === 'ok' && a.actor.startsWith('Ines')), 'the take is audited');
  assert.ok(audit.some((a) => a.action === 'terminal.take-keyboard' && a.result === 'denied' && a.actor.startsWith('Olga')), 'the refused take is audited');

  // The trainee solves it the way the hints suggest.
  trainee.type('du -xa / 2>/dev/null | sort -rn | awk \'$2 ~ /\\.log$/ {print "big=" $2; exit}\'\r');
  await trainee.seen('big=/');
  const big = /big=(\/\S+)/.exec(trainee.text())![1]!;
  trainee.type(`rm -f ${big}\r`);
  const resolved = await waitFor('the run to resolve', async () => {
    const r = await admin.getRun(id);
    return r.state === 'resolved' ? r : undefined;
  }, 60_000, 200);
  await Promise.all([trainee.close(), watcher.close(), observer.close()]);

  // The recording: listed, served as application/x-asciicast, played by Debian's asciinema.
  const list = await waitFor('the recording to end', async () => {
    const l = await admin.listRecordings(id);
    return l.recordings.length === 1 && l.recordings[0]!.endedAt ? l : undefined;
  }, 10_000);
  const rec = list.recordings[0]!;
  assert.equal(rec.role, 'trainee');
  assert.ok(list.usedBytes > 0 && list.usedBytes <= list.budgetBytes);
  const res = await fetch(s.url + apiPath('getRecording', { id, session: rec.id }), { headers: { authorization: `Bearer ${traineeToken}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/x-asciicast');
  const cast = await res.text();
  const dir = mkdtempSync(join(tmpdir(), 'pudu-cast-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const viaCli = join(dir, 'cli.cast');
  const cli = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/main.ts'), 'scenario', 'recording', id, '-o', viaCli], {
    env: { ...process.env, PUDU_SERVER: s.url, PUDU_TOKEN: s.adminToken }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cliCode = await new Promise<number | null>((r) => cli.on('exit', r));
  assert.equal(cliCode, 0);
  assert.equal(readFileSync(viaCli, 'utf8'), cast, 'puduc saves the same document');
  writeFileSync(join(dir, 'broken.cast'), '{"version": 2, "width": 80, "height": 24}\n[0.1, "o"\n');
  await assert.rejects(run('asciinema', ['play', '-s', '1000', join(dir, 'broken.cast')], { timeout: 30_000 }), 'asciinema refuses a broken file (so the check below means something)');
  const played = await run('asciinema', ['play', '-i', '0.01', '-s', '1000', viaCli], { timeout: 60_000 });
  for (const needle of ['df -h /', '100%', 'mark-42-x', 'from-5-instructor', 'rm -f']) assert.ok(played.stdout.includes(needle), `asciinema play shows ${needle}`);
  assert.match(cast.split('\n')[0]!, /"version":2/);
  assert.ok(cast.includes('"i","df -h /\\r"'), 'input is recorded');

  // The commands, with times between the fault and the resolution.
  const { commands, caveats } = await admin.listRunCommands(id);
  const shell = commands.filter((c) => c.context === 'prompt');
  console.log(`# commands: ${shell.map((c) => `${(c.runMs! / 1000).toFixed(1)}s ${c.command}`).join(' | ')}`);
  for (const re of [/^df -h \/$/, /^du -xa \//, /^rm -f \//]) {
    const c = shell.find((x) => re.test(x.command));
    assert.ok(c, `${re} is among the commands`);
    assert.equal(c.host, 'app-0');
    assert.ok(c.runMs !== null && c.runMs >= 0 && c.runMs <= resolved.resolvedAtMs!, `${c.command} at ${c.runMs} ms, between the fault (0) and the resolution (${resolved.resolvedAtMs} ms)`);
  }
  assert.ok(shell.find((c) => c.command === 'df -h /')!.output.some((l) => l.includes('100%')), 'df\'s output is kept');
  assert.ok(!commands.some((c) => c.command.includes('watcher-2-typed')), 'what the read-only watcher typed is not a command');
  assert.ok(caveats.length >= 3);

  // Metric history: sampled at least once a second while live, with fault and fix markers.
  const hist = await admin.getRunHistory(id);
  const app0 = hist.vms.find((v) => v.vm === 'app-0')!;
  const live = app0.samples.filter((x) => x.tMs >= 0 && x.tMs <= resolved.resolvedAtMs!);
  console.log(`# history: ${app0.samples.length} samples of app-0, ${live.length} during ${resolved.resolvedAtMs} ms of incident`);
  assert.ok(live.length >= Math.floor(resolved.resolvedAtMs! / 1000) - 1, `≥ 1 sample/s while live (${live.length} in ${resolved.resolvedAtMs} ms)`);
  assert.ok(app0.samples.some((x) => x.diskUsedPct > 90), 'the full disk is in the history');
  for (const k of ['fault', 'alert', 'resolved'] as const) assert.ok(hist.markers.some((m) => m.kind === k), `a ${k} marker`);

  // The post-mortem of the resolved run, with notes from both sides; PDF through Chromium.
  await s.client(traineeToken).updateRunNotes(id, { trainee: 'Saw / at 100 %. Found a 900 MB debug log with du, removed it.' });
  await admin.updateRunNotes(id, { instructor: { feedback: 'Quick, methodical triage.', actionItems: ['Add log rotation to app-server'], runbookLinks: ['https://runbooks.example/disk-full'] } });
  await assert.rejects(s.client(traineeToken).updateRunNotes(id, { instructor: { feedback: 'x', actionItems: [], runbookLinks: [] } }), (e: { status: number }) => e.status === 403);
  const report = await s.client(traineeToken).getRunReport(id);
  assert.equal(report.run.state, 'resolved');
  assert.equal(report.score?.score, resolved.scoreDetail.score);
  assert.ok(report.faults.length === 1 && report.faults[0]!.appliedMs !== null, 'the trainee sees what was broken once the run is over');
  assert.ok(report.timings.detectMs !== null && report.timings.resolveMs === resolved.resolvedAtMs);
  assert.ok(report.timeline.some((x) => x.kind === 'command' && x.text.includes('df -h')));
  const md = await admin.getRunReportText(id, 'markdown');
  const html = await admin.getRunReportText(id, 'html');
  for (const text of [md, html]) {
    for (const needle of ['df -h /', 'rm -f /var/log', 'DiskSpaceCritical', 'Add log rotation', 'Found a 900 MB debug log']) assert.ok(text.includes(needle), `the report has ${needle}`);
  }
  assertBlameless(md);
  assert.match(html, /<svg class="chart" data-metric="diskUsedPct" data-vm="app-0"/);
  const pdf = join(dir, 'report.pdf');
  const pdfCli = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/main.ts'), 'scenario', 'report', id, '--format', 'pdf', '-o', pdf], {
    env: { ...process.env, PUDU_SERVER: s.url, PUDU_TOKEN: s.adminToken }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pdfErr = '';
  pdfCli.stderr.on('data', (d: Buffer) => { pdfErr += d.toString(); });
  assert.equal(await new Promise<number | null>((r) => pdfCli.on('exit', r)), 0, pdfErr);
  const ink = await inkOnFirstPage(pdf);
  console.log(`# report PDF: ${readFileSync(pdf).length} bytes, page 1 ${(ink * 100).toFixed(1)} % ink`);
  assert.ok(ink > 0.01, `page 1 of the PDF is not blank (${ink})`);
  const { stdout: pdfText } = await run('pdftotext', ['-f', '1', '-l', '2', pdf, '-'], { timeout: 30_000 });
  assert.match(pdfText, /Post-mortem: The Disk That Ate Everything/);

  // Webhooks: run.started and run.resolved arrived signed; the failing receiver is retried and logged.
  await waitFor('both webhooks', async () => (good.received.length >= 2 ? true : undefined), 10_000);
  for (const r of good.received) {
    const body = JSON.parse(r.body) as { kind: string; runId: string };
    assert.equal(body.runId, id);
    assert.equal(r.headers['x-pudu-signature'], signWebhook(hookSecret, String(r.headers['x-pudu-timestamp']), r.body));
  }
  assert.deepEqual(good.received.map((r) => JSON.parse(r.body).kind), ['run.started', 'run.resolved']);
  const hooks = await admin.listWebhooks();
  const failing = hooks.deliveries.filter((d) => d.url === bad.url);
  assert.ok(failing.some((d) => d.attempts >= 2 && d.lastStatus === 503), `the failing receiver was retried: ${JSON.stringify(failing)}`);

  const kinds = (await admin.listRunEvents(id)).map((e) => e.kind);
  for (const k of ['terminal.opened', 'terminal.watched', 'terminal.keyboard-taken', 'terminal.keyboard-released', 'terminal.closed']) assert.ok(kinds.includes(k), `event ${k}`);
});
