import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsSampler, renderPrometheus } from './metrics.ts';
import { promtoolCheckMetrics as promtoolCheck } from '../../../test/support/promtool.ts';

test("the agent's Prometheus text passes promtool check metrics, in base units with the old names gone", async () => {
  const sampler = new MetricsSampler();
  const text = await renderPrometheus(sampler.read(), { active: 1, reverted: 2 });
  assert.deepEqual(promtoolCheck(text), []);
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  assert.ok(value('pudu_vm_memory_total_bytes') > 64 * 1024 * 1024, 'bytes, not MiB');
  for (const ratio of ['pudu_vm_memory_used_ratio', 'pudu_vm_disk_used_ratio', 'pudu_vm_cpu_usage_ratio']) {
    assert.ok(value(ratio) >= 0 && value(ratio) <= 1, `${ratio} is a ratio 0-1: ${value(ratio)}`);
  }
  assert.match(text, /^pudu_agent_faults\{state="reverted"\} 2$/m);
  assert.match(text, /^process_resident_memory_bytes \d/m, 'default process metrics under their standard names');
  assert.doesNotMatch(text, /pudu_vm_\w+_(pct|mb)\b/);
  assert.doesNotMatch(text, /^# TYPE \w+_total gauge$/m);
});

test('fault states that went away are not reported as stale values', async () => {
  const sampler = new MetricsSampler();
  await renderPrometheus(sampler.read(), { active: 3 });
  const text = await renderPrometheus(sampler.read(), { reverted: 3 });
  assert.doesNotMatch(text, /pudu_agent_faults\{state="active"\}/);
});
