import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildQemuArgs } from './qemu-args.ts';

const BASE = {
  processName: 'pudu-qemu-5', machine: 'microvm' as const, accel: 'tcg' as const, vcpus: 2, memMb: 512,
  kernel: '/k/vmlinuz', initrd: '/k/initrd.img', disk: '/v/disk.qcow2', configDisk: '/v/config.tar',
  tap: 'pudu-t5', mac: 'AA:FC:00:00:00:05', guestIp: '172.16.5.2', hostIp: '172.16.5.1', hostname: 'api-0',
  consoleLog: '/v/console.log', pidFile: '/v/qemu.pid', tscKhz: 2445406,
};

test('builds a microvm with virtio-mmio devices, the TAP, the serial console in a file and no KVM under TCG', () => {
  const a = buildQemuArgs(BASE).join(' ');
  assert.match(a, /-M microvm /);
  assert.match(a, /-accel tcg -cpu max /);
  assert.match(a, /-netdev tap,id=net0,ifname=pudu-t5,script=no,downscript=no -device virtio-net-device,netdev=net0,mac=AA:FC:00:00:00:05/);
  assert.match(a, /-serial file:\/v\/console.log/);
  assert.match(a, /file=\/v\/config.tar,format=raw,if=none,readonly=on/);
  assert.match(a, /-smp 2 -m 512M/);
  assert.match(a, /-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny/);
});

test('uses PCI devices and drops tsc_early_khz on q35, and the host CPU under KVM', () => {
  const a = buildQemuArgs({ ...BASE, machine: 'q35', accel: 'kvm' }).join(' ');
  assert.match(a, /-M q35 -accel kvm -cpu host/);
  assert.match(a, /virtio-blk-pci,drive=root/);
  assert.doesNotMatch(a, /tsc_early_khz/);
});
