// Runs every *.test.ts with Node's own runner (Node 20 takes no globs: we pass the list).
// Usage: node scripts/test.mjs [--unit|--integration] [path-filter...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const mode = args.includes('--unit') ? 'unit' : args.includes('--integration') ? 'integration' : 'all';
const filters = args.filter((a) => !a.startsWith('--'));

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
console.log(`running ${files.length} test files`);
const concurrency = process.env.PUDU_TEST_CONCURRENCY ?? '2';
const r = spawnSync(process.execPath, [
  '--import', 'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/test-summary-reporter.mjs', '--test-reporter-destination=stdout',
  ...files,
], { stdio: 'inherit' });
process.exit(r.status ?? 1);
