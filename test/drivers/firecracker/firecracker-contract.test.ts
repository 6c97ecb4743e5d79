/**
 * Acceptance 4: the Firecracker driver against a strict stand-in of the Firecracker API
 * (this host cannot run the real binary). The fake enforces the real API's rules; the
 * driver must satisfy them in order, and the fake must refuse what Firecracker refuses —
 * otherwise the contract would prove nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isPuduError } from '@pudu/schema';
import { FirecrackerApi, FirecrackerDriver, buildBootPlan, configureAndStart, launchArgs, launchLayout } from '../../../packages/drivers/src/firecracker/index.ts';
import { guestKernelArgs, macForIndex } from '../../../packages/drivers/src/hypervisor/index.ts';
import { allocateIndex, type IndexLease } from '../../../packages/drivers/src/network/index-allocator.ts';
import { createTap, deleteTap } from '../../../packages/drivers/src/network/tap.ts';
import { startFakeFirecracker, type RecordedRequest } from './fake-firecracker.ts';
import { NOT_AFTER_BOOT, NOT_BEFORE_BOOT } from './fake-rules.ts';

const INDEX_RANGE = { minIndex: 220, maxIndex: 239 };

interface Fixture {
  dir: string;
  files: { kernel: string; initrd: string; rootfs: string; config: string };
  tap: string;
  lease: IndexLease;
}

async function fixture(t: { after: (fn: () => Promise<void> | void) => void }): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-fc-contract-'));
  const files = { kernel: join(dir, 'vmlinux'), initrd: join(dir, 'initrd.img'), rootfs: join(dir, 'rootfs.ext4'), config: join(dir, 'config.tar') };
  for (const f of Object.values(files)) writeFileSync(f, 'x');
  for (const f of ['firecracker-vmm.log', 'firecracker-metrics.json']) writeFileSync(join(dir, f), '');
  const lease = await allocateIndex(INDEX_RANGE);
  const tap = `pudu-t${lease.index}`;
  await createTap(tap, `172.16.${lease.index}.1/30`);
  t.after(async () => {
    await deleteTap(tap);
    await lease.release();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, files, tap, lease };
}

function plan(f: Fixture) {
  return buildBootPlan({
    vmDir: f.dir, vcpus: 2, memMb: 512, kernel: f.files.kernel, initrd: f.files.initrd,
    bootArgs: guestKernelArgs({ guestIp: `172.16.${f.lease.index}.2`, hostIp: `172.16.${f.lease.index}.1`, hostname: 'api-0' }),
    rootfs: f.files.rootfs, configDisk: f.files.config, tap: f.tap, mac: macForIndex(f.lease.index), vsockCid: 3 + f.lease.index, metadata: { vm: 'api-0' },
  });
}

async function expectFault(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isPuduError(e, 'VM_START_FAILED'), String(e));
    const d = e.details as { status: number; faultMessage: string };
    assert.equal(d.status, 400);
    assert.match(d.faultMessage, message);
    return true;
  });
}

const calls = (reqs: RecordedRequest[]) => reqs.map((r) => `${r.method} ${r.path} ${r.status}`);

test('the boot sequence configures every device in order and starts the instance', async (t) => {
  const f = await fixture(t);
  const fake = await startFakeFirecracker(join(f.dir, 'api.sock'));
  t.after(() => fake.close());
  const api = new FirecrackerApi(join(f.dir, 'api.sock'));
  await configureAndStart(api, plan(f));
  assert.deepEqual(calls(fake.requests), [
    'PUT /logger 204', 'PUT /metrics 204', 'PUT /machine-config 204', 'PUT /boot-source 204',
    'PUT /drives/rootfs 204', 'PUT /drives/config 204', 'PUT /network-interfaces/eth0 204',
    'PUT /vsock 204', 'PUT /mmds/config 204', 'PUT /mmds 204', 'PUT /actions 204',
  ]);
  assert.equal((await api.instanceInfo()).state, 'Running');
  const boot = fake.requests[3]!.body as { boot_args: string };
  assert.match(boot.boot_args, new RegExp(`ip=172\\.16\\.${f.lease.index}\\.2::172\\.16\\.${f.lease.index}\\.1:255\\.255\\.255\\.252:api-0:eth0:off`));
  assert.match(boot.boot_args, /pci=off/);
  const nic = fake.requests[6]!.body as { guest_mac: string };
  assert.equal(nic.guest_mac, macForIndex(f.lease.index));
  assert.match(nic.guest_mac, /^AA:FC:00:/);
});

test('after boot only runtime calls work: pause, snapshot of the paused VM, resume, Ctrl+Alt+Del', async (t) => {
  const f = await fixture(t);
  const fake = await startFakeFirecracker(join(f.dir, 'api.sock'));
  t.after(() => fake.close());
  const api = new FirecrackerApi(join(f.dir, 'api.sock'));
  await expectFault(api.pause(), new RegExp(NOT_BEFORE_BOOT.replace(/\./g, '\\.')));
  await expectFault(api.action('SendCtrlAltDel'), /not supported before starting/);
  await configureAndStart(api, plan(f));
  await expectFault(api.putMachineConfig({ vcpu_count: 2, mem_size_mib: 256 }), new RegExp(NOT_AFTER_BOOT.replace(/\./g, '\\.')));
  await expectFault(api.putBootSource({ kernel_image_path: f.files.kernel }), /after starting/);
  await expectFault(api.action('InstanceStart'), /after starting/);
  await expectFault(api.createSnapshot({ snapshot_type: 'Full', snapshot_path: join(f.dir, 's'), mem_file_path: join(f.dir, 'm') }), /pause it first/);
  await api.pause();
  assert.equal((await api.instanceInfo()).state, 'Paused');
  await expectFault(api.createSnapshot({ snapshot_type: 'Diff', snapshot_path: join(f.dir, 's'), mem_file_path: join(f.dir, 'm') }), /dirty page tracking/);
  await api.createSnapshot({ snapshot_type: 'Full', snapshot_path: join(f.dir, 's'), mem_file_path: join(f.dir, 'm') });
  assert.ok(existsSync(join(f.dir, 's')) && existsSync(join(f.dir, 'm')));
  await expectFault(api.loadSnapshot({ snapshot_path: join(f.dir, 's'), mem_backend: { backend_type: 'File', backend_path: join(f.dir, 'm') } }), /after starting/);
  await api.resume();
  await api.action('SendCtrlAltDel');
});

test('the stand-in refuses what Firecracker refuses, with a fault_message and 400', async (t) => {
  const f = await fixture(t);
  const fake = await startFakeFirecracker(join(f.dir, 'api.sock'));
  t.after(() => fake.close());
  const api = new FirecrackerApi(join(f.dir, 'api.sock'));
  await expectFault(api.putMachineConfig({ vcpu_count: 0, mem_size_mib: 256 }), /vCPU number is invalid/);
  await expectFault(api.putMachineConfig({ vcpu_count: 33, mem_size_mib: 256 }), /vCPU number is invalid/);
  await expectFault(api.putMachineConfig({ vcpu_count: 3, mem_size_mib: 256, smt: true }), /1 or an even number/);
  await expectFault(api.call('PUT', '/machine-config', { vcpu_count: 2 }), /missing field `mem_size_mib`/);
  await expectFault(api.call('PUT', '/machine-config', { vcpu_count: '2', mem_size_mib: 256 }), /invalid type for `vcpu_count`/);
  await expectFault(api.call('PUT', '/machine-config', { vcpu_count: 2, mem_size_mib: 256, ht_enabled: true }), /unknown field `ht_enabled`/);
  await expectFault(api.action('InstanceStart'), /missing boot source/);
  await expectFault(api.putBootSource({ kernel_image_path: join(f.dir, 'missing') }), /No such file/);
  await expectFault(api.call('PUT', '/drives/root', { drive_id: 'other', is_root_device: true, path_on_host: f.files.rootfs, is_read_only: false }), /does not match/);
  await api.putDrive({ drive_id: 'a', is_root_device: true, path_on_host: f.files.rootfs, is_read_only: false });
  await expectFault(api.putDrive({ drive_id: 'b', is_root_device: true, path_on_host: f.files.rootfs, is_read_only: false }), /root block device already exists/);
  await expectFault(api.putNetworkInterface({ iface_id: 'eth0', host_dev_name: 'pudu-nope0', guest_mac: 'AA:FC:00:00:00:01' }), /Open tap device failed/);
  await expectFault(api.putNetworkInterface({ iface_id: 'eth0', host_dev_name: f.tap, guest_mac: 'AA:FC:00:00:01' }), /Invalid MAC/);
  await expectFault(api.putVsock({ guest_cid: 2, uds_path: join(f.dir, 'v.sock') }), /CID/);
  await expectFault(api.putMmdsConfig({ network_interfaces: ['eth9'] }), /does not correspond/);
  await expectFault(api.call('PUT', '/actions', { action_type: 'Reboot' }), /unknown variant `Reboot`/);
  await expectFault(api.call('PUT', '/snapshot/load', { snapshot_path: f.files.rootfs, mem_file_path: f.files.rootfs }), /after configuring/);
  await expectFault(api.call('GET', '/nonexistent'), /Invalid request method and\/or path/);
  assert.ok(fake.requests.filter((r) => r.status === 400).every((r) => typeof r.fault === 'string' && r.fault.length > 0));
});

test('the driver launches firecracker, drives the API, reports a guest that never answers with its console, and leaves nothing behind', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-fc-driver-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fakeBin = join(dir, 'firecracker');
  writeFileSync(fakeBin, `#!/bin/sh\nexec "${process.execPath}" --import tsx "${resolve('test/drivers/firecracker/fake-firecracker-main.ts')}" "$@"\n`);
  chmodSync(fakeBin, 0o755);
  const image = { rootfsExt4: join(dir, 'rootfs.ext4'), kernel: { vmlinuz: join(dir, 'vmlinuz'), vmlinux: join(dir, 'vmlinux'), initrd: join(dir, 'initrd.img') } };
  for (const f of [image.rootfsExt4, image.kernel.vmlinuz, image.kernel.vmlinux, image.kernel.initrd]) writeFileSync(f, 'x');
  const stateDir = join(dir, 'state');
  const driver = new FirecrackerDriver({
    image, stateDir, cacheDir: dir, agentPort: 7777, indexRange: INDEX_RANGE, bootTimeoutMs: 1_500,
    binaries: { firecracker: fakeBin },
  });
  const fleetId = `fc${process.pid}`;
  const requestLog = join(dir, 'requests.jsonl');
  process.env.FAKE_FC_REQUEST_LOG = requestLog;
  t.after(() => { delete process.env.FAKE_FC_REQUEST_LOG; });
  t.after(() => driver.destroyFleet(fleetId));
  let err: unknown;
  try {
    await driver.createFleet({ id: fleetId, vms: [{ name: 'db-0', tier: 'db', vcpus: 2, memMb: 256, diskMb: 512, services: ['postgresql'] }] });
  } catch (e) {
    err = e;
  }
  assert.ok(isPuduError(err, 'VM_BOOT_TIMEOUT'), `expected VM_BOOT_TIMEOUT, got ${String(err)}`);
  assert.match((err as Error).message, /fake-firecracker: InstanceStart 2 vCPU 256 MiB/, 'the error carries the console tail');
  const log = readFileSync(requestLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RecordedRequest);
  assert.deepEqual(calls(log), [
    'PUT /logger 204', 'PUT /metrics 204', 'PUT /machine-config 204', 'PUT /boot-source 204',
    'PUT /drives/rootfs 204', 'PUT /drives/config 204', 'PUT /network-interfaces/eth0 204', 'PUT /actions 204',
  ]);
  assert.deepEqual(launchArgs({ firecracker: fakeBin }, 'x', launchLayout({ firecracker: fakeBin }, 'x', '/d')).args, ['--api-sock', '/d/api.sock', '--id', 'x']);
  assert.equal(existsSync(join(stateDir, 'firecracker', fleetId)), false, 'state removed after the failed boot');
  assert.equal((await driver.listVms()).length, 0);
});
