import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSandboxDriver, verifyRoute } from '../../packages/drivers/src/index.ts';
import { TEST_AGENT_KEYS, TEST_INDEX_RANGE, sandboxSkipReason, sshRoot, testAgent, testImage } from './helpers.ts';

const skip = sandboxSkipReason();
const APP_READY_TIMEOUT_MS = 60_000;

async function status(url: string, init?: RequestInit): Promise<number> {
  try {
    return (await fetch(url, { ...init, signal: AbortSignal.timeout(5000) })).status;
  } catch {
    return 0;
  }
}


test('a disk-fill through the real agent fills exactly the VM disk and the app-server answers 500 until it is reverted', { skip, timeout: 240_000 }, async (t) => {
  const img = await testImage();
  const driver = await createSandboxDriver({ rootfsDir: img.rootfsDir, ...TEST_INDEX_RANGE });
  t.after(() => driver.destroyFleet('drv-fault'));
  const [vm] = await driver.createFleet({
    id: 'drv-fault', agent: { publicKey: TEST_AGENT_KEYS.publicKey },
    vms: [{ name: 'mono-0', tier: 'mono', vcpus: 1, memMb: 512, diskMb: 512, services: ['nginx', 'postgresql', 'app-server'] }],
  });
  await verifyRoute(vm!.guestIp, vm!.hostLink);
  const app = `http://${vm!.guestIp}`;
  // The app-server starts after PostgreSQL, which readiness does not wait for.
  const deadline = Date.now() + APP_READY_TIMEOUT_MS;
  while ((await status(`${app}/healthz`)) !== 200) {
    assert.ok(Date.now() < deadline, 'app-server healthy behind nginx within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(await status(`${app}/api/items`, { method: 'POST', body: '{"name":"before"}' }), 201);

  const agent = testAgent('drv-fault', vm!, 30_000);
  assert.equal((await agent.startFault({ id: 'fill', type: 'disk', params: { path: '/', duration: '120s' } })).state, 'active');
  const df = (await sshRoot(vm!.guestIp, 'df --output=pcent,size -BM / | tail -1')).stdout.trim();
  assert.match(df, /^(9[89]|100)%\s+512M$/, `the VM's own 512 MB disk is full: ${df}`);
  // Appends still fit into the log file's last partly used block; once that is full, every request fails.
  let served = 0;
  while ((await status(`${app}/api/status`)) !== 500) {
    served++;
    assert.ok(served < 500, 'the app-server answers 500 once its log cannot grow (within a block of log lines)');
  }
  assert.equal(await status(`${app}/api/status`), 500, 'and keeps failing while the disk is full');

  // The host sees the same full disk by itself (statfs of the VM's root), whatever the agent says.
  const full = await driver.hostView!('drv-fault', 'mono-0');
  assert.ok(full && full.diskUsedPct! >= 98, `host view of the disk: ${full?.diskUsedPct}`);
  assert.ok(full.processes!.some((p) => p.comm === 'nginx'), 'host view lists the VM\'s processes');
  assert.equal((await agent.stopFault('fill')).state, 'reverted');
  assert.ok((await driver.hostView!('drv-fault', 'mono-0'))!.diskUsedPct! < 90, 'and sees it freed');
  assert.equal(await status(`${app}/api/status`), 200, 'back to normal after the revert');
});
