import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DEVICE_ALLOW_LIST, launcherArgs, shq } from './init-script.ts';
import { VM_ID_BASE } from './userns.ts';

const input = {
  hostname: 'api-0', cgroupProcs: ['/sys/fs/cgroup/memory/pudu-vm7/cgroup.procs'], devicesCgroup: '/sys/fs/cgroup/devices/pudu-vm7',
  imageRootfs: "/var/cache/pudu/image/it's/rootfs", imageView: '/s/image', mappingUserns: '/proc/42/ns/user', idMapShims: '/s/.idmap-bin',
  disk: '/s/disk.img', diskMount: '/s/disk', confDir: '/s/conf', root: '/s/root', consoleLog: '/s/console.log', lxcfs: '/s/lxcfs', lxcfsPidfile: '/s/lxcfs.pid', clockOffsetS: 3_600_000,
  devTemplate: '/var/lib/pudu/sandbox/.dev-template', agentDir: '/var/lib/pudu/sandbox/pudu-vm7/agent', agentGuestDir: '/run/pudu-agent',
};

test('shell quoting survives quotes and spaces', () => {
  const r = spawnSync('sh', ['-c', `printf %s ${shq("a 'b' $c")}`], { encoding: 'utf8' });
  assert.equal(r.stdout, "a 'b' $c");
});

test('the launcher joins the cgroups before it unshares, and every stage is valid sh', () => {
  const [flag, script] = launcherArgs(input);
  assert.equal(flag, '-c');
  assert.ok(script!.indexOf('cgroup.procs') < script!.indexOf('unshare'), 'join first');
  assert.equal(spawnSync('sh', ['-n', '-c', script!]).status, 0);
  assert.match(script!, /exec \/usr\/bin\/env -i container=pudu-sandbox/);
});

test('the VM gets a user namespace mapped to the unprivileged id range, its own network namespace, and root inside', () => {
  const script = launcherArgs(input)[1]!;
  assert.match(script, new RegExp(`unshare --user --map-users=${VM_ID_BASE},0,65536 --map-groups=${VM_ID_BASE},0,65536 --setuid 0 --setgid 0 --net --pid`));
});

test('the device allow-list is written after the disk is loop-mounted and before the VM namespaces exist', () => {
  const script = launcherArgs(input)[1]!;
  const deny = script.indexOf('devices.deny');
  assert.ok(script.indexOf('mount -o loop') < deny, 'the loop mount needs its block device once');
  assert.ok(deny < script.indexOf('unshare --user'), 'locked down before anything of the VM runs');
  for (const d of DEVICE_ALLOW_LIST) assert.ok(script.includes(d), d);
  assert.doesNotMatch(DEVICE_ALLOW_LIST.join(' '), /\bb /, 'no block device is allowed');
});

test('the VM and its own lxcfs share one time namespace offset, and lxcfs serves before the devices are locked', () => {
  const script = launcherArgs(input)[1]!;
  const lxcfs = script.indexOf('/usr/bin/lxcfs');
  assert.ok(lxcfs > 0 && lxcfs < script.indexOf('devices.deny'), 'lxcfs opens /dev/fuse before the allow-list');
  assert.match(script, /unshare --time --boottime 3600000 --monotonic 3600000 --fork \/usr\/bin\/lxcfs/);
  assert.match(script, /--mount --time --boottime 3600000 --monotonic 3600000 --fork --kill-child/);
  assert.match(script, /\(echo -1000 [^\n]*unshare --time [^\n]*3>&- 4>&- &\)/, 'lxcfs holds neither the lease nor the handshake, and is not the launcher\'s child');
  assert.doesNotMatch(script, /proc\/uptime/, 'uptime is the kernel\'s, which follows the time namespace');
  assert.match(script, /\(echo -1000 > \/proc\/self\/oom_score_adj \|\| true; exec unshare --time [^\n]*\/usr\/bin\/lxcfs/, 'an OOM in the VM never takes its lxcfs');
});

test('on a kernel without time namespaces the VM and its lxcfs keep the host\'s clocks', () => {
  const script = launcherArgs({ ...input, clockOffsetS: null })[1]!;
  assert.doesNotMatch(script, /--time|--boottime|--monotonic/);
  assert.match(script, /exec unshare --fork \/usr\/bin\/lxcfs -f /);
  assert.match(script, /--cgroup --mount --fork --kill-child/);
});
