/**
 * The scenario library's own rules, checked without running anything: every scenario is
 * valid, has a proof beside it with a probe for each symptom, and no hint points at the
 * fault machinery instead of a diagnosis.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { compileScenario, formatIssue, loadScenarioFile } from '@pudu/engine';
import { FORBIDDEN_IN_HINTS, libraryFiles, loadProof } from './library.ts';

test('the library holds at least twelve scenarios spread over easy to expert', async () => {
  const files = libraryFiles();
  assert.ok(files.length >= 12, `only ${files.length} scenarios`);
  const levels = new Set<string>();
  for (const f of files) {
    const r = await loadScenarioFile(f);
    if (r.ok) levels.add(r.spec.scenario.difficulty);
  }
  assert.deepEqual([...levels].sort(), ['easy', 'expert', 'hard', 'medium']);
});

test("the README's library table has a row for every scenario, saying what it teaches", async () => {
  const readme = await readFile('README.md', 'utf8');
  for (const file of libraryFiles()) {
    const name = file.replace(/^scenarios\//, '').replace(/\.yaml$/, '');
    assert.match(readme, new RegExp(`^\\| \`${name}\` \\| (easy|medium|hard|expert) \\| .{20,} \\|$`, 'm'), `README has no library row for ${name}`);
  }
});

for (const file of libraryFiles()) {
  test(`${file} is valid and proves every symptom it lists`, async () => {
    const r = await loadScenarioFile(file);
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatIssue).join('\n'));
    const plan = compileScenario(r.spec, { seed: 1 });
    for (const [i, h] of plan.hints.entries()) assert.doesNotMatch(h.text, FORBIDDEN_IN_HINTS, `hint ${i + 1} of ${file}`);
    const proof = await loadProof(file);
    assert.ok(proof, `${file} has no ${file.replace(/\.yaml$/, '.proof.ts')}`);
    const probed = new Set(proof.probes.map((p) => p.symptom));
    for (const s of plan.symptoms) assert.ok(probed.has(s), `symptom without a probe: ${s}`);
    for (const p of proof.probes) assert.ok(plan.symptoms.includes(p.symptom), `probe for a symptom the scenario does not list: ${p.symptom}`);
    const vms = new Set(plan.vms.map((v) => v.name));
    for (const step of [...proof.probes, ...(proof.fakeFix ?? []), ...proof.solve]) {
      for (const vm of [step.vm].flat()) assert.ok(vms.has(vm), `${vm} is not a VM of ${file}`);
    }
    assert.ok(proof.solve.length > 0, 'a proof needs a solve');
    assert.ok(proof.fakeFix && proof.fakeFix.length > 0, 'a proof needs a fake fix that must not resolve the run');
    // What the trainee reads names symptoms, never the mechanism (fault ids, our machinery).
    const faultIds = plan.faults.map((f) => f.id);
    for (const text of [...plan.symptoms, ...plan.objectives.map((o) => o.description)]) {
      assert.doesNotMatch(text, FORBIDDEN_IN_HINTS, `${file}: "${text}"`);
      for (const id of faultIds) assert.ok(!text.includes(id), `${file}: "${text}" names fault ${id}`);
    }
  });
}
