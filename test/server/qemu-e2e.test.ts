/**
 * Issue 15 acceptance 4: disk-full end to end on `--driver qemu` (and `--driver firecracker`
 * where a firecracker binary and a KVM that boots guests exist) — the same server, run loop,
 * signed agent channel (TCP over the VM's TAP, route-checked) and SSH as the sandbox, on a
 * real QEMU guest (TCG on this host, so slow: the times are printed, not asserted). A
 * trainee finds and removes the culprit over SSH; the run resolves with the formula score.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileScenario, parseScenario, scoreRun } from '@pudu/engine';
import { AGENT_PORT } from '../../packages/drivers/src/image/recipe.ts';
import type { VmDriver } from '../../packages/drivers/src/driver.ts';
import { QemuDriver, probeQemu } from '../../packages/drivers/src/qemu/index.ts';
import { FirecrackerDriver, probeFirecracker } from '../../packages/drivers/src/firecracker/index.ts';
import { guestImageForTests } from '../drivers/qemu/guest-image.ts';
import { REPO_ROOT, startTestServer } from './harness.ts';
import { sshExec, waitFor } from './vm-shell.ts';

const DISK_FULL = join(REPO_ROOT, 'scenarios/monolith/disk-full.yaml');
/** The hypervisor tests' VM index range. */
const INDEX_RANGE = { minIndex: 220, maxIndex: 239 };
const TCG = { readyTimeoutMs: 60_000 };

type Make = (o: { image: Awaited<ReturnType<typeof guestImageForTests>>['image']; stateDir: string; cacheDir: string; log: (m: string) => void }) => VmDriver;

async function diskFullEndToEnd(t: TestContext, name: string, make: Make): Promise<void> {
  const { image, cacheDir } = await guestImageForTests((m) => t.diagnostic(m));
  const stateDir = mkdtempSync(join(tmpdir(), `pudu-${name}-e2e-`));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const driver = make({ image, stateDir, cacheDir, log: (m) => t.diagnostic(m) });
  const s = await startTestServer(t, { driver });
  const yaml = readFileSync(DISK_FULL, 'utf8');
  const t0 = Date.now();
  const { run } = await s.client().runScenario({ yaml, file: 'scenarios/monolith/disk-full.yaml' });
  s.defer(() => s.client().abortRun(run.id));
  const live = await waitFor('incident live', async () => {
    const r = await s.client().getRun(run.id);
    if (/failed|aborted/.test(r.state)) throw new Error(`run ${r.state}: ${r.error}`);
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 900_000, 500);
  const liveS = (Date.now() - t0) / 1000;
  const vm = live.vms[0]!;
  const df = await sshExec(vm.guestIp, vm.hostLink, 'df --output=pcent / | tail -1', TCG);
  assert.ok(Number(df.stdout.trim().replace('%', '')) >= 95, `the disk is full in the guest: ${df.stdout}`);
  const found = await sshExec(vm.guestIp, vm.hostLink, 'find / -xdev -type f -size +50M -printf "%s %p\\n" 2>/dev/null | sort -rn | head -1 | cut -d" " -f2-', TCG);
  const culprit = found.stdout.trim();
  assert.ok(culprit.startsWith('/'), `no culprit: ${found.stdout}`);
  const fixedAt = Date.now();
  assert.equal((await sshExec(vm.guestIp, vm.hostLink, `rm -f '${culprit}' && sync`, TCG)).code, 0);
  const resolved = await waitFor('resolved', async () => {
    const r = await s.client().getRun(run.id);
    return r.state === 'resolved' ? r : undefined;
  }, 300_000, 200);
  const parsed = parseScenario(yaml, DISK_FULL);
  assert.ok(parsed.ok);
  const expected = scoreRun({ scoring: compileScenario(parsed.spec).scoring, resolvedAtMs: resolved.resolvedAtMs!, hintsTaken: 0 });
  assert.equal(resolved.score, expected.score, 'the score is the formula\'s');
  t.diagnostic(`${name}: start → live ${liveS.toFixed(1)} s; fix → resolved ${((Date.now() - fixedAt) / 1000).toFixed(1)} s; score ${resolved.score}`);
}

test('disk-full on the qemu driver: live, fixed over SSH, resolved with the formula score', { timeout: 1_200_000, skip: probeQemu().ok ? undefined : probeQemu().reason }, (t) =>
  diskFullEndToEnd(t, 'qemu', (o) => new QemuDriver({ ...o, agentPort: AGENT_PORT, indexRange: INDEX_RANGE })));

const fc = probeFirecracker();
test('disk-full on the firecracker driver: the same run, where Firecracker and a guest-booting KVM exist', { timeout: 1_200_000, skip: fc.ok && fc.binary ? undefined : `Firecracker cannot run here: ${fc.reason}` }, (t) =>
  diskFullEndToEnd(t, 'firecracker', (o) => new FirecrackerDriver({ ...o, agentPort: AGENT_PORT, indexRange: INDEX_RANGE, binaries: { firecracker: fc.binary! } })));
