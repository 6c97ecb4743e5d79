import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentArgs } from './config.ts';

test('the agent flags parse with the seed’s defaults', () => {
  const c = parseAgentArgs(['--allow-from', '172.16.3.1/32']);
  assert.ok(c !== 'help');
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.port, 7777);
  assert.equal(c.deadmanMs, 60_000);
  assert.deepEqual(c.allowFrom.map((a) => a.text), ['172.16.3.1/32']);
  const d = parseAgentArgs(['--listen', '127.0.0.1:9000', '--deadman', '0', '--allow-from', '10.0.0.1', '--max-ttl', '5m']);
  assert.ok(d !== 'help');
  assert.equal(d.port, 9000);
  assert.equal(d.deadmanMs, 0);
  assert.equal(d.maxTtlMs, 300_000);
});

test('bad flags are refused naming the flag', () => {
  assert.throws(() => parseAgentArgs(['--listen', 'nowhere', '--allow-from', '10.0.0.1']), /--listen nowhere/);
  assert.throws(() => parseAgentArgs(['--deadman', 'soon', '--allow-from', '10.0.0.1']), /--deadman soon/);
  assert.throws(() => parseAgentArgs(['--allow-from', '10.0.0.1/40']), /--allow-from/);
  assert.throws(() => parseAgentArgs(['--bogus']), /bogus/);
  assert.equal(parseAgentArgs(['--help']), 'help');
});
