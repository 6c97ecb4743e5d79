// Runs every *.test.ts with Node's own runner (Node 20 takes no globs: we pass the list).
// Usage: node scripts/test.mjs [--unit|--integration] [path-filter...]
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const mode = args.includes('--unit') ? 'unit' : args.includes('--integration') ? 'integration' : 'all';
const filters = args.filter((a) => !a.startsWith('--'));
// Tests lay out VM files as host root for other ids to read (guest services, a sandbox VM's
// unprivileged root), as Pudu's own VM-building code does (drivers/src/util/umask.ts): a
// caller's umask of 077 (CI runners) must not close them. Test processes inherit this.
process.umask(0o022);

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let files = [];
if (mode !== 'integration') walk('packages', files);
if (mode !== 'unit') walk('test', files);
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
files.sort();
if (files.length === 0) {
  console.error('no test files matched: a run that executes no test is a failure');
  process.exit(1);
}
// *.exclusive.test.ts touch the whole host (e.g. `pudu cleanup` removes every fleet): they run
// alone, after the rest; host-wide ones only where CI owns the machine.
const exclusive = files.filter((f) => f.endsWith('.exclusive.test.ts'));
const shared = files.filter((f) => !exclusive.includes(f));
const concurrency = process.env.PUDU_TEST_CONCURRENCY ?? '2';
const summaryDir = mkdtempSync(join(tmpdir(), 'pudu-test-'));
const env = { ...process.env, PUDU_TEST_SUMMARY_FILE: join(summaryDir, 'summary.jsonl') };
if (process.env.CI === 'true' && env.PUDU_TEST_FULL_CLEANUP === undefined) env.PUDU_TEST_FULL_CLEANUP = '1';

function runPhase(list, conc) {
  if (list.length === 0) return 0;
  console.log(`running ${list.length} test file(s), ${conc} at a time`);
  const r = spawnSync(process.execPath, [
    '--import', 'tsx',
    '--test',
    `--test-concurrency=${conc}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/test-summary-reporter.mjs', '--test-reporter-destination=stdout',
    ...list,
  ], { stdio: 'inherit', env });
  return r.status ?? 1;
}

// Build steps that many test files share run once, here, before any file starts: a new machine
// takes minutes for them, and a failure is reported once (with its output's tail) instead of by
// every test that needed it. Those files are then not run, and count as failed.
const SETUPS = [
  {
    name: 'agent test rootfs',
    env: 'PUDU_TEST_SETUP_FAILED_AGENT_ROOTFS',
    cmd: ['bash', 'test/agent/support/prepare-rootfs.sh'],
    needs: (f) => /\b(createAgentSandbox|defineMatrixRow|prepareArtifacts)\(/.test(readFileSync(f, 'utf8')),
  },
];
const notRun = [];
for (const s of SETUPS) {
  const users = files.filter(s.needs);
  if (users.length === 0) continue;
  const t0 = Date.now();
  const r = spawnSync(s.cmd[0], s.cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env });
  if (r.status === 0) {
    console.log(`setup: ${s.name} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    continue;
  }
  console.log(`setup: ${s.name} FAILED (exit ${r.status ?? r.signal}); ${users.length} test file(s) that need it are not run: ${users.join(', ')}`);
  env[s.env] = `setup failed (exit ${r.status ?? r.signal})`;
  notRun.push(...users);
}
const run = (list) => list.filter((f) => !notRun.includes(f));

const first = runPhase(run(shared), concurrency);
const second = runPhase(run(exclusive), '1');
let text = '';
try { text = readFileSync(env.PUDU_TEST_SUMMARY_FILE, 'utf8'); } catch { /* a phase that crashed wrote nothing */ }
const sum = { passed: 0, failed: notRun.length, skipped: 0 };
for (const line of text.split('\n').filter(Boolean)) for (const [k, v] of Object.entries(JSON.parse(line))) sum[k] += v;
if (sum.passed + sum.failed === 0) {
  console.error('no test ran: a run that executes no test is a failure');
  sum.failed = 1;
}
const note = notRun.length ? ` (${notRun.length} of them: test files not run after a failed setup)` : '';
console.log(`\nall phases${note}:\n${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
rmSync(summaryDir, { recursive: true, force: true });
process.exit(first || second || (sum.failed > 0 ? 1 : 0));
