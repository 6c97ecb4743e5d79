/**
 * The real thing: boots the guest image under Firecracker and makes the same readiness
 * checks as the QEMU test. Runs where a firecracker binary and a KVM that boots guests
 * exist; skipped elsewhere with the probe's reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirecrackerDriver, probeFirecracker } from '../../../packages/drivers/src/firecracker/index.ts';
import { probeAgent } from '../../../packages/drivers/src/readiness.ts';
import { guestImageForTests } from '../qemu/guest-image.ts';
import { sshExec } from '../../server/vm-shell.ts';

const AGENT_PORT = 7777;
const INDEX_RANGE = { minIndex: 220, maxIndex: 239 };

test('boots the guest image under Firecracker and passes the readiness checks', { timeout: 300_000 }, async (t) => {
  const probe = probeFirecracker();
  if (!probe.ok || !probe.binary) {
    t.skip(`Firecracker cannot run here: ${probe.reason}`);
    return;
  }
  const { image, cacheDir } = await guestImageForTests((m) => t.diagnostic(m));
  const stateDir = mkdtempSync(join(tmpdir(), 'pudu-fc-boot-'));
  const driver = new FirecrackerDriver({ image, stateDir, cacheDir, agentPort: AGENT_PORT, indexRange: INDEX_RANGE, binaries: { firecracker: probe.binary }, vsock: true });
  const fleetId = `fb${process.pid}`;
  t.after(async () => {
    await driver.destroyFleet(fleetId);
    rmSync(stateDir, { recursive: true, force: true });
  });
  const started = Date.now();
  const vms = await driver.createFleet({
    id: fleetId,
    vms: [
      { name: 'api-0', tier: 'api', vcpus: 2, memMb: 512, diskMb: 1024, services: ['nginx'] },
      { name: 'db-0', tier: 'db', vcpus: 1, memMb: 512, diskMb: 1024, services: ['postgresql'] },
    ],
  }, { onProgress: (m) => t.diagnostic(m) });
  t.diagnostic(`create → ready ${Date.now() - started} ms`);
  const [api, db] = vms;
  assert.ok(api && db);
  const r = await sshExec(api.guestIp, api.hostLink, 'hostname; systemctl is-active pudu-agent ssh nginx; getent hosts db-0', { readyTimeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 4), ['api-0', 'active', 'active', 'active']);
  assert.match(lines[4] ?? '', new RegExp(`^${db.guestIp.replace(/\./g, '\\.')}\\s+db-0`));
  assert.equal(await probeAgent(db.guestIp, AGENT_PORT), true);
  await driver.pauseVm(fleetId, 'db-0');
  await driver.resumeVm(fleetId, 'db-0');
});
