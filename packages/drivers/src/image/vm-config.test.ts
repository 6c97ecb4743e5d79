import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderVmFiles, type VmFile } from './vm-config.ts';

const fleet = [
  { name: 'api-0', guestIp: '172.16.4.2', services: ['nginx', 'app-server'] },
  { name: 'db-0', guestIp: '172.16.5.2', services: ['postgresql'] },
];

function content(files: VmFile[], path: string): string {
  const f = files.find((x) => x.path === path);
  assert.ok(f && 'content' in f, `${path} rendered`);
  return f.content;
}

test('a VM gets its hostname, the other fleet members in /etc/hosts, and the fleet database as PGHOST', () => {
  const files = renderVmFiles({ name: 'api-0', services: ['nginx', 'app-server'], fleet, agentPublicKey: 'K'.repeat(43), fleetId: 'f1' });
  assert.equal(content(files, '/etc/hostname'), 'api-0\n');
  const hosts = content(files, '/etc/hosts');
  assert.match(hosts, /^172\.16\.5\.2\tdb-0$/m);
  assert.doesNotMatch(hosts, /172\.16\.4\.2/);
  assert.match(content(files, '/etc/default/app-server'), /^PGHOST=db-0$/m);
  assert.equal(content(files, '/etc/pudu/agent.pub'), `${'K'.repeat(43)}\n`);
  assert.equal(content(files, '/etc/default/pudu-agent'), 'PUDU_AGENT_OPTS="--audience f1/api-0"\n');
  const links = files.filter((f) => 'symlink' in f).map((f) => `${f.path} -> ${(f as { symlink: string }).symlink}`);
  assert.deepEqual(links, [
    '/etc/systemd/system/multi-user.target.wants/nginx.service -> /lib/systemd/system/nginx.service',
    '/etc/systemd/system/multi-user.target.wants/app-server.service -> /etc/systemd/system/app-server.service',
  ]);
});

test('the database VM talks to its own Postgres and a VM without a key gets one nobody can sign for', () => {
  const files = renderVmFiles({ name: 'db-0', services: ['postgresql'], fleet });
  assert.match(content(files, '/etc/default/app-server'), /^PGHOST=127\.0\.0\.1$/m);
  assert.match(content(files, '/etc/pudu/agent.pub'), /^[A-Za-z0-9_-]{43}\n$/);
});

test('a fleet with no database VM gets an empty PGHOST: its app-server runs without a database', () => {
  const files = renderVmFiles({ name: 'app-0', services: ['nginx', 'app-server'], fleet: [{ name: 'app-0', guestIp: '172.16.0.2', services: ['nginx', 'app-server'] }] });
  assert.match(content(files, '/etc/default/app-server'), /^PGHOST=$/m);
});

test('agent options go to PUDU_AGENT_OPTS and unsafe ones are refused', () => {
  const files = renderVmFiles({ name: 'db-0', services: [], fleet, agentOpts: ['--deadman', '60s', '--allow-from', '172.16.5.1/32'] });
  assert.equal(content(files, '/etc/default/pudu-agent'), 'PUDU_AGENT_OPTS="--deadman 60s --allow-from 172.16.5.1/32"\n');
  assert.throws(() => renderVmFiles({ name: 'db-0', services: [], fleet, agentOpts: ['--x', 'a b'] }), { code: 'BAD_REQUEST' });
  assert.throws(() => renderVmFiles({ name: 'db-0', services: [], fleet, agentOpts: ['$(reboot)'] }), { code: 'BAD_REQUEST' });
});
