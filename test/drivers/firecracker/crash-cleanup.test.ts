/**
 * When the process that owns hypervisor VMs dies by SIGKILL, cleanup finds what it left
 * (from the vm.json records) and removes all of it: the hypervisor process, the TAP, the
 * fleet's firewall chains, the state directory. Uses the Firecracker stand-in as a real
 * child process; the cleanup path is the same for QEMU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cleanupFirecrackerLeftovers } from '../../../packages/drivers/src/firecracker/index.ts';

test('cleanup after the owner was SIGKILLed leaves no process, TAP, firewall chain or directory', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-fc-crash-'));
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  const fakeBin = join(dir, 'firecracker');
  writeFileSync(fakeBin, `#!/bin/sh\nexec "${process.execPath}" --import tsx "${resolve('test/drivers/firecracker/fake-firecracker-main.ts')}" "$@"\n`);
  chmodSync(fakeBin, 0o755);
  const fleetId = `cr${process.pid}`;
  const owner = spawn(process.execPath, ['--import', 'tsx', resolve('test/drivers/firecracker/crash-owner.ts'), stateDir, fakeBin, fleetId], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(async () => {
    if (owner.exitCode === null) owner.kill('SIGKILL');
    await cleanupFirecrackerLeftovers(stateDir);
    rmSync(dir, { recursive: true, force: true });
  });
  const line = await new Promise<string>((res, rej) => {
    let out = '';
    owner.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /booting \d+ \S+\n/.exec(out);
      if (m) res(m[0]);
    });
    owner.once('exit', (c) => rej(new Error(`owner exited (${c}) before booting: ${out}`)));
  });
  const [, pidText, tap] = line.trim().split(' ');
  const pid = Number(pidText);
  assert.ok(existsSync(`/proc/${pid}`) && existsSync(`/sys/class/net/${tap}`));
  // By ifindex, not name: once freed, the name may be taken at once by a concurrent test.
  const ifindex = readFileSync(`/sys/class/net/${tap}/ifindex`, 'utf8').trim();
  owner.kill('SIGKILL');
  await new Promise((r) => owner.once('exit', r));
  assert.ok(existsSync(`/proc/${pid}`), 'the hypervisor outlives its owner: this is what cleanup is for');

  const removed = await cleanupFirecrackerLeftovers(stateDir);
  assert.ok(removed.includes(`process ${pid}`), removed.join(', '));
  assert.ok(removed.includes(`tap ${tap}`));
  const gone = (p: string): boolean => { try { return !existsSync(`/proc/${p}/cmdline`) || execFileSync('cat', [`/proc/${p}/cmdline`]).length === 0; } catch { return true; } };
  assert.ok(gone(String(pid)), 'firecracker process gone');
  assert.equal(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').some((l) => l.startsWith(`${ifindex}: `)), false, 'TAP gone');
  assert.equal(existsSync(join(stateDir, 'firecracker', fleetId)), false, 'state directory gone');
  assert.doesNotMatch(execFileSync('iptables', ['-S'], { encoding: 'utf8' }), new RegExp(`pudu-(fwd|in)-${fleetId}`));
  assert.deepEqual(await cleanupFirecrackerLeftovers(stateDir), [], 'a second cleanup finds nothing');
});
