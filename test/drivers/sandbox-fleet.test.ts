import { test } from 'node:test';
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { createSandboxDriver, verifyRoute, type FleetSpec, type VmDriver, type VmInfo } from '../../packages/drivers/src/index.ts';
import { run } from '../../packages/drivers/src/util/exec.ts';
import { TEST_AGENT_KEYS, TEST_INDEX_RANGE, sandboxSkipReason, sshRoot, testAgent, testImage } from './helpers.ts';
import { agentPath } from '@pudu/schema';

const skip = sandboxSkipReason();

const FLEET: FleetSpec = {
  id: 'drv-accept',
  agent: { publicKey: TEST_AGENT_KEYS.publicKey },
  vms: [
    { name: 'web-0', tier: 'web', vcpus: 1, memMb: 384, diskMb: 768, services: ['nginx', 'app-server'] },
    { name: 'api-0', tier: 'api', vcpus: 1, memMb: 512, diskMb: 1024, services: ['app-server'] },
    { name: 'db-0', tier: 'db', vcpus: 2, memMb: 640, diskMb: 2048, services: ['postgresql'] },
  ],
};

test('a 3-VM sandbox fleet looks like three real VMs from inside and reaches nothing outside', { skip, timeout: 300_000 }, async (t) => {
  const img = await testImage();
  const driver: VmDriver = await createSandboxDriver({ rootfsDir: img.rootfsDir, ...TEST_INDEX_RANGE });
  t.after(() => driver.destroyFleet(FLEET.id));
  const vms = await driver.createFleet(FLEET);
  const byName = new Map<string, VmInfo>(vms.map((v) => [v.name, v]));
  assert.deepEqual(vms.map((v) => v.state), ['ready', 'ready', 'ready']);

  for (const spec of FLEET.vms) {
    const vm = byName.get(spec.name)!;
    await verifyRoute(vm.guestIp, vm.hostLink);
    const out = (await sshRoot(vm.guestIp, 'hostname; free -m | awk \'/^Mem:/{print $2}\'; df -BM --output=size / | tail -1; df -h --output=size / | tail -1')).stdout.trim().split('\n').map((l) => l.trim());
    assert.equal(out[0], spec.name, 'hostname is the VM name');
    assert.equal(Number(out[1]), spec.memMb, `free -m shows mem_mb of ${spec.name}`);
    assert.equal(out[2], `${spec.diskMb}M`, `df shows disk_mb of ${spec.name}`);
    const expectedH = spec.diskMb >= 1024 ? `${(spec.diskMb / 1024).toFixed(1)}G` : `${spec.diskMb}M`;
    assert.equal(out[3], expectedH, `df -h / shows ${expectedH}`);
    const units = ['nginx', 'postgresql', 'app-server', 'pudu-agent', 'ssh'];
    const r = await sshRoot(vm.guestIp, `systemctl is-active ${units.join(' ')}`, { allowFail: true });
    const active = r.stdout.trim().split('\n');
    units.forEach((u, i) => {
      const want = u === 'pudu-agent' || u === 'ssh' || spec.services.includes(u) ? 'active' : 'inactive';
      assert.equal(active[i], want, `${spec.name}: ${u} is ${want} (systemctl said: ${r.stdout.trim().replace(/\n/g, ' ')} ${r.stderr.trim()})`);
    });
  }

  const api = byName.get('api-0')!;
  const db = byName.get('db-0')!;
  const web = byName.get('web-0')!;
  // By name inside the fleet: TCP to Postgres on db-0 and HTTP through nginx on web-0.
  assert.equal((await sshRoot(api.guestIp, 'getent hosts db-0')).stdout.split(/\s+/)[0], db.guestIp);
  await sshRoot(api.guestIp, 'nc -z -w 3 db-0 5432');
  assert.match((await sshRoot(api.guestIp, 'curl -s -m 5 http://web-0/healthz')).stdout, /"status":"ok"/);
  // The app-server on api-0 was pointed at the fleet's database VM.
  assert.match((await sshRoot(api.guestIp, 'curl -s -m 5 -X POST -d \'{"name":"pudu"}\' http://127.0.0.1:3000/api/items')).stdout, /"name":"pudu"/);

  // Outside the fleet: the host's uplink gateway, the host's own addresses, a public address.
  const outside = ['192.0.2.1', '1.1.1.1', web.hostIp, '127.0.0.53'];
  for (const ip of outside) {
    const r = await sshRoot(api.guestIp, `curl -s -o /dev/null -m 2 http://${ip}/ && echo reached || echo blocked`);
    assert.equal(r.stdout.trim(), 'blocked', `${ip} must be unreachable from api-0`);
  }
  const r = await sshRoot(api.guestIp, `ping -c1 -W1 ${api.hostIp} >/dev/null 2>&1 && echo reached || echo blocked`);
  assert.equal(r.stdout.trim(), 'blocked', 'the host side of its own link refuses new traffic from the VM');

  // The agent has no network port at all: the host reaches it through a socket in a host
  // directory, answers signed requests there, and refuses a request signed for another VM.
  await assert.rejects(fetch(`http://${api.guestIp}:${api.agentPort}${agentPath('health')}`, { signal: AbortSignal.timeout(2000) }));
  assert.equal((await testAgent(FLEET.id, api).health()).status, 'ok');
  assert.deepEqual((await testAgent(FLEET.id, api).listFaults()).faults, []);
  await assert.rejects(testAgent(FLEET.id, { ...api, name: 'web-0' }).listFaults(), { code: 'AGENT_AUTH' });
});

test('a VM that cannot boot fails with its console log tail and leaves nothing behind', { skip, timeout: 60_000 }, async () => {
  const img = await testImage();
  // An image directory without systemd is refused before anything is created.
  await assert.rejects(createSandboxDriver({ rootfsDir: '/tmp', ...TEST_INDEX_RANGE }), { code: 'ASSETS_MISSING' });
  const driver = await createSandboxDriver({ rootfsDir: img.rootfsDir, ...TEST_INDEX_RANGE, bootTimeoutMs: 8000 });
  // pids.max of 5 starves systemd: boot fails or never gets ready.
  // Its own index (other test files share the range and run concurrently), so leftovers are attributable.
  const bad = await createSandboxDriver({ rootfsDir: img.rootfsDir, minIndex: 99, maxIndex: 99, bootTimeoutMs: 8000, pidsMax: 5 });
  const err = await bad.createFleet({ id: 'drv-badboot', vms: [{ name: 'x-0', tier: 'x', vcpus: 1, memMb: 256, diskMb: 256, services: [] }] }).then(() => undefined, (e: unknown) => e as { code: string; message: string });
  assert.ok(err, 'boot must fail');
  assert.ok(['VM_BOOT_TIMEOUT', 'VM_START_FAILED'].includes(err.code), err.code);
  assert.match(err.message, /console \(last lines\)/);
  assert.deepEqual(await bad.listVms(), []);
  const ns = (await run('ip', ['netns', 'list'])).stdout;
  assert.doesNotMatch(ns, /pudu-vm99\b/, 'no netns left');
  assert.equal(existsSync('/var/lib/pudu/sandbox/pudu-vm99'), false, 'no state left');
  assert.equal(existsSync('/sys/class/net/pudu-h99'), false, 'no link left');
  assert.deepEqual(await driver.listVms(), []);
});

test('bad fleet specs are refused with every problem named, before anything is created', { skip }, async () => {
  const img = await testImage();
  const driver = await createSandboxDriver({ rootfsDir: img.rootfsDir, ...TEST_INDEX_RANGE });
  await assert.rejects(driver.createFleet({ id: 'bad id', vms: [
    { name: 'Web_0', tier: 'w', vcpus: 0, memMb: 10, diskMb: 10, services: ['ok', 'no spaces'] },
    { name: 'Web_0', tier: 'w', vcpus: 1, memMb: 128, diskMb: 128, services: [] },
  ] }), (e: Error & { code: string }) => {
    assert.equal(e.code, 'BAD_REQUEST');
    for (const s of ['id:', 'vms[0].name', 'vms[0].vcpus', 'vms[0].memMb', 'vms[0].diskMb', 'vms[0].services[1]', 'vms[1].name: "Web_0" is used twice']) assert.ok(e.message.includes(s), `missing ${s} in ${e.message}`);
    return true;
  });
});
