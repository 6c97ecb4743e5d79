import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentArgs } from './config.ts';

test('the agent flags parse with the seed’s defaults', () => {
  const c = parseAgentArgs(['--allow-from', '172.16.3.1/32']);
  assert.ok(c !== 'help');
  assert.deepEqual(c.listen, { kind: 'tcp', host: '0.0.0.0', port: 7777 });
  assert.equal(c.keyFile, '/etc/pudu/agent.pub');
  assert.equal(c.deadmanMs, 60_000);
  assert.deepEqual(c.allowFrom.map((a) => a.text), ['172.16.3.1/32']);
  const d = parseAgentArgs(['--listen', '127.0.0.1:9000', '--deadman', '0', '--allow-from', '10.0.0.1', '--max-ttl', '5m']);
  assert.ok(d !== 'help');
  assert.deepEqual(d.listen, { kind: 'tcp', host: '127.0.0.1', port: 9000 });
  assert.equal(d.deadmanMs, 0);
  assert.equal(d.maxTtlMs, 300_000);
});

test('a Unix socket listener needs no --allow-from; the audience names the VM', () => {
  const c = parseAgentArgs(['--listen', 'unix:/run/agent/agent.sock', '--audience', 'f1/web-0']);
  assert.ok(c !== 'help');
  assert.deepEqual(c.listen, { kind: 'unix', path: '/run/agent/agent.sock' });
  assert.deepEqual(c.allowFrom, []);
  assert.equal(c.audience, 'f1/web-0');
  assert.throws(() => parseAgentArgs(['--listen', 'unix:relative.sock']), /--listen unix:relative.sock/);
  assert.throws(() => parseAgentArgs(['--listen', 'unix:/a', '--audience', 'a b']), /--audience/);
});

test('bad flags are refused naming the flag', () => {
  assert.throws(() => parseAgentArgs(['--listen', 'nowhere', '--allow-from', '10.0.0.1']), /--listen nowhere/);
  assert.throws(() => parseAgentArgs(['--deadman', 'soon', '--allow-from', '10.0.0.1']), /--deadman soon/);
  assert.throws(() => parseAgentArgs(['--allow-from', '10.0.0.1/40']), /--allow-from/);
  assert.throws(() => parseAgentArgs(['--bogus']), /bogus/);
  assert.equal(parseAgentArgs(['--help']), 'help');
});
