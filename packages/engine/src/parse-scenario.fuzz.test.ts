/**
 * Property test: thousands of mutated scenario files. Every outcome is either a valid spec
 * that compiles, or errors that each carry a location — no exception escapes, nothing hangs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { compileScenario } from './compile-scenario.ts';
import { parseScenario } from './parse-scenario.ts';

const SEEDS = ['scenarios/monolith/disk-full.yaml', 'scenarios/microservices/db-connection-exhaustion.yaml'].map((f) => readFileSync(f, 'utf8'));
const NUM_RUNS = Number(process.env.PUDU_FUZZ_RUNS ?? 2000);

function checkOutcome(text: string): void {
  const started = Date.now();
  const r = parseScenario(text, 'fuzz.yaml');
  if (r.ok) {
    const plan = compileScenario(r.spec, { seed: 1 });
    assert.ok(plan.vms.length >= 1);
    for (const f of plan.faults) assert.ok(plan.vms.some((v) => v.name === f.vm), `fault on unknown vm ${f.vm}`);
  } else {
    assert.ok(r.errors.length >= 1);
    for (const e of r.errors) {
      assert.ok(Number.isInteger(e.line) && e.line >= 1 && Number.isInteger(e.col) && e.col >= 1, `bad location ${JSON.stringify(e)}`);
      assert.ok(e.message.length > 0 && e.file === 'fuzz.yaml');
    }
  }
  assert.ok(Date.now() - started < 2000, 'one parse took over 2 s');
}

const lineEdit = fc.record({
  seed: fc.nat(SEEDS.length - 1),
  edits: fc.array(fc.tuple(fc.constantFrom('delete', 'duplicate', 'indent', 'dedent', 'insert', 'replace-char', 'truncate', 'swap'), fc.nat(), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 5 }),
});

function applyLineEdits(input: { seed: number; edits: [string, number, string][] }): string {
  const lines = SEEDS[input.seed]!.split('\n');
  for (const [op, n, s] of input.edits) {
    if (lines.length === 0) lines.push('');
    const i = n % lines.length;
    const line = lines[i]!;
    if (op === 'delete') lines.splice(i, 1);
    else if (op === 'duplicate') lines.splice(i, 0, line);
    else if (op === 'indent') lines[i] = `  ${line}`;
    else if (op === 'dedent') lines[i] = line.replace(/^ {1,2}/, '');
    else if (op === 'insert') lines.splice(i, 0, s);
    else if (op === 'replace-char') lines[i] = line.slice(0, n % (line.length + 1)) + s + line.slice((n % (line.length + 1)) + 1);
    else if (op === 'truncate') lines.length = Math.max(1, i);
    else if (op === 'swap') [lines[i], lines[(i + 1) % lines.length]] = [lines[(i + 1) % lines.length]!, line];
  }
  return lines.join('\n');
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const KEYS = ['id', 'type', 'tier', 'vm', 'select', 'count', 'percent', 'at', 'duration', 'params', 'load', 'rate', 'metric', 'condition', 'text', 'time_limit', 'seed', 'titel', 'services'];
const anyValue: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom<Json>(null, true, 0, -1, 1e308, 3.5, '', '0s', '90s', '1h30m', '10x', '80%', '< 80', 'app', 'app-0', 'db-0', 'cpu', 'random', 'all'),
    fc.string({ maxLength: 8 }),
    fc.integer(),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('v'), { maxKeys: 3 }),
  ),
})).v;

function setAtRandomPath(root: Json, choices: number[], value: Json): Json {
  let node = root;
  for (const c of choices) {
    if (Array.isArray(node) && node.length) {
      const i = c % node.length;
      if (c % 4 === 0 || typeof node[i] !== 'object' || node[i] === null) {
        node[i] = value;
        return root;
      }
      node = node[i]!;
    } else if (node && typeof node === 'object' && !Array.isArray(node)) {
      const keys = Object.keys(node);
      if (!keys.length) break;
      const k = keys[c % keys.length]!;
      if (c % 4 === 0 || typeof node[k] !== 'object' || node[k] === null) {
        if (c % 7 === 0) delete node[k];
        else node[k] = value;
        return root;
      }
      node = node[k]!;
    } else break;
  }
  return root;
}

test(`${NUM_RUNS} line-level mutations of the seed scenarios end valid or with located errors`, () => {
  fc.assert(fc.property(lineEdit, (input) => checkOutcome(applyLineEdits(input))), { numRuns: NUM_RUNS, seed: 20261123 });
});

test(`${NUM_RUNS} structural mutations of the seed scenarios end valid or with located errors`, () => {
  const parsed = SEEDS.map((s) => parseScenario(s)).map((r) => {
    assert.ok(r.ok);
    return r.spec as unknown as Json;
  });
  const mutation = fc.record({
    seed: fc.nat(SEEDS.length - 1),
    muts: fc.array(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), anyValue), { minLength: 1, maxLength: 3 }),
  });
  fc.assert(fc.property(mutation, ({ seed, muts }) => {
    let doc: Json = structuredClone(parsed[seed]!);
    for (const [path, value] of muts) doc = setAtRandomPath(doc, path, value);
    checkOutcome(stringify(doc));
  }), { numRuns: NUM_RUNS, seed: 1123 });
});

test('random garbage text ends in located errors', () => {
  fc.assert(fc.property(fc.string({ maxLength: 400, unit: 'binary' }), (s) => checkOutcome(s)), { numRuns: 1000, seed: 7 });
});
