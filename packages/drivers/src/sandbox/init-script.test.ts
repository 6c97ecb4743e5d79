import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { launcherArgs, shq } from './init-script.ts';

const input = {
  hostname: 'api-0', netns: 'pudu-vm7', cgroupProcs: ['/sys/fs/cgroup/memory/pudu-vm7/cgroup.procs'],
  imageRootfs: "/var/cache/pudu/image/it's/rootfs", disk: '/s/disk.img', diskMount: '/s/disk', confDir: '/s/conf',
  root: '/s/root', consoleLog: '/s/console.log', lxcfs: '/var/lib/pudu/lxcfs', devTemplate: '/var/lib/pudu/sandbox/.dev-template',
  agentDir: '/var/lib/pudu/sandbox/pudu-vm7/agent',
  agentGuestDir: '/run/pudu-agent',
};

test('shell quoting survives quotes and spaces', () => {
  const r = spawnSync('sh', ['-c', `printf %s ${shq("a 'b' $c")}`], { encoding: 'utf8' });
  assert.equal(r.stdout, "a 'b' $c");
});

test('the launcher joins the cgroups before it unshares, and both stages are valid sh', () => {
  const [flag, script] = launcherArgs(input);
  assert.equal(flag, '-c');
  assert.ok(script!.indexOf('cgroup.procs') < script!.indexOf('unshare'), 'join first');
  assert.equal(spawnSync('sh', ['-n', '-c', script!]).status, 0);
  assert.match(script!, /unshare --cgroup --mount --pid --uts --ipc --fork --kill-child/);
  assert.match(script!, /exec \/usr\/bin\/env -i container=pudu-sandbox/);
});
