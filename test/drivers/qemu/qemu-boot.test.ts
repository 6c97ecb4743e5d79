/**
 * Acceptance 3: the QEMU driver boots the project's guest image here (TCG on this host,
 * KVM where it really works) and the VM passes the readiness checks an SRE would make.
 * Needs root, /dev/net/tun and qemu-system-x86_64; boots one VM (TCG is CPU-heavy).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QemuDriver, probeQemu } from '../../../packages/drivers/src/qemu/index.ts';
import { probeAgent } from '../../../packages/drivers/src/readiness.ts';
import { INIT_SWITCH_MARKER } from '../../../packages/drivers/src/kernel/index.ts';
import { guestImageForTests } from './guest-image.ts';
import { sshExec } from '../../server/vm-shell.ts';

/** A guest under TCG takes its time to answer the SSH handshake. */
const TCG = { readyTimeoutMs: 20_000 };

const AGENT_PORT = 7777;
/** Larger than the image, so the online grow is visible in `df`. */
const DISK_MB = 1536;
/** This suite's VM index range (the hypervisor engineer's share of the test ranges). */
const INDEX_RANGE = { minIndex: 220, maxIndex: 239 };

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

test('boots the guest image under QEMU and passes the readiness checks', { timeout: 600_000 }, async (t) => {
  const probe = probeQemu();
  assert.ok(probe.ok, `QEMU driver unavailable: ${probe.reason}`);
  const { image, cacheDir } = await guestImageForTests((m) => t.diagnostic(m));
  const stateDir = mkdtempSync(join(tmpdir(), 'pudu-qemu-test-'));
  const logs: string[] = [];
  const driver = new QemuDriver({ image, stateDir, cacheDir, agentPort: AGENT_PORT, indexRange: INDEX_RANGE, log: (m) => logs.push(m) });
  const fleetId = `qt${process.pid}`;
  t.after(async () => {
    await driver.destroyFleet(fleetId);
    rmSync(stateDir, { recursive: true, force: true });
  });

  const started = Date.now();
  const [vm] = await driver.createFleet(
    { id: fleetId, vms: [{ name: 'web-0', tier: 'web', vcpus: 1, memMb: 512, diskMb: DISK_MB, services: ['nginx'] }] },
    { onProgress: (m) => t.diagnostic(m) },
  );
  assert.ok(vm);
  t.diagnostic(`create → ready ${((Date.now() - started) / 1000).toFixed(1)} s; ${logs.join('; ')}`);
  assert.match(logs.join('\n'), /accelerator (KVM|TCG): \S/, 'the accelerator choice is logged with its reason');
  assert.equal(vm.state, 'ready');
  assert.equal(vm.hostLink, `pudu-t${vm.index}`);
  assert.ok(vm.index >= INDEX_RANGE.minIndex && vm.index <= INDEX_RANGE.maxIndex);
  assert.match(execFileSync('ip', ['route', 'get', vm.guestIp], { encoding: 'utf8' }), new RegExp(`dev ${vm.hostLink} `));

  const r = await sshExec(vm.guestIp, vm.hostLink, 'hostname; systemctl is-active pudu-agent ssh nginx; ip -4 -o addr show eth0; df -BM --output=size / | tail -1', TCG);
  assert.equal(r.code, 0, `ssh root/root: ${r.stderr}\n${r.stdout}`);
  const [hostname, ...rest] = r.stdout.trim().split('\n');
  assert.equal(hostname, 'web-0');
  assert.deepEqual(rest.slice(0, 3), ['active', 'active', 'active']);
  assert.match(rest[3] ?? '', new RegExp(`inet ${vm.guestIp.replace(/\./g, '\\.')}/30`));
  const dfMb = Number((rest[4] ?? '').trim().replace(/M$/, ''));
  assert.ok(dfMb > DISK_MB * 0.9 && dfMb <= DISK_MB, `df -h / shows the tier's disk (${DISK_MB} MB), got ${rest[4]}`);
  assert.equal(await probeAgent(vm.guestIp, AGENT_PORT), true);
  assert.match(await driver.consoleLog(fleetId, 'web-0', 100_000), new RegExp(INIT_SWITCH_MARKER.replace(/:/g, '.')));

  // The guest may not open connections to the host: only the host's own connections get replies.
  const listener = createServer((s) => s.end('reachable\n'));
  await new Promise<void>((res) => listener.listen(0, '0.0.0.0', res));
  t.after(() => listener.close());
  const port = (listener.address() as AddressInfo).port;
  const back = await sshExec(vm.guestIp, vm.hostLink, `curl -s -m 3 http://${vm.hostIp}:${port}/ ; echo "exit=$?"`, TCG);
  assert.doesNotMatch(back.stdout, /reachable/);
  assert.match(back.stdout, /exit=(7|28)/);

  await driver.destroyFleet(fleetId);
  assert.equal(linkExists(vm.hostLink), false, 'TAP removed');
  assert.deepEqual(readdirSync(join(stateDir, 'qemu')).length, 0, 'VM state removed');
  assert.equal(existsSync(`/proc/${vm.pid}`), false, 'qemu process gone');
  assert.doesNotMatch(execFileSync('iptables', ['-S'], { encoding: 'utf8' }), new RegExp(`pudu-(fwd|in)-${fleetId}`));
});
