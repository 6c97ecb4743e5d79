/**
 * Starting one sandbox VM's launcher (init-script.ts) and the host's half of its handshake:
 * when the VM's namespaces exist (`ready` on fd 4) the driver links the VM's network
 * namespace to the host, then lets it boot (`go` on fd 0).
 *
 * The launcher is detached (own session) and holds the VM's index lease (fd 3): the VM
 * does not depend on the process that started it, which may exit, crash or be restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { PuduError } from '@pudu/schema';
import type { NetworkBase } from '../network/addressing.ts';
import { attachVethNetwork } from '../network/veth.ts';
import { launcherArgs, type InitScriptInput } from './init-script.ts';

const HANDSHAKE_TIMEOUT_MS = 30_000;

export interface LaunchInput {
  index: number;
  base: NetworkBase;
  /** fd of the VM's index lease, inherited by the launcher. */
  leaseFd: number | undefined;
  script: InitScriptInput;
  /** Called once if the launcher exits (the VM is gone). */
  onExit: (reason: string) => void;
}

function waitReady(out: Readable, child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new PuduError('VM_START_FAILED', `the sandbox launcher did not create the VM's namespaces within ${HANDSHAKE_TIMEOUT_MS} ms`)), HANDSHAKE_TIMEOUT_MS);
    const done = (e?: Error) => {
      clearTimeout(timer);
      out.removeAllListeners('data');
      out.removeAllListeners('end');
      child.removeListener('exit', onExit);
      if (e) reject(e);
      else resolve();
    };
    const onExit = () => done(new PuduError('VM_START_FAILED', 'the sandbox launcher exited before the VM started'));
    out.setEncoding('utf8');
    out.on('data', (d: string) => {
      text += d;
      if (text.includes('ready\n')) done();
    });
    out.on('end', () => done(new PuduError('VM_START_FAILED', 'the sandbox launcher exited before the VM started')));
    child.once('exit', onExit);
  });
}

/** The last `lines` lines of a VM's console log, without the ANSI colour and carriage returns systemd writes for a terminal. */
export function consoleTail(path: string, lines: number): string {
  const plain = readFileSync(path, 'utf8').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
  return plain.split('\n').filter(Boolean).slice(-lines).join('\n');
}

const START_CONSOLE_LINES = 40;

/** Spawns the VM's launcher and completes the handshake; resolves with the launcher (the VM's host-side anchor). */
export async function launchSandboxVm(i: LaunchInput): Promise<ChildProcess> {
  const fd = openSync(i.script.consoleLog, 'a');
  let child: ChildProcess;
  try {
    child = spawn('sh', launcherArgs(i.script), { stdio: ['pipe', fd, fd, i.leaseFd ?? 'ignore', 'pipe'], detached: true });
  } finally {
    closeSync(fd);
  }
  child.unref();
  let exited = false;
  child.on('exit', (code, signal) => {
    exited = true;
    i.onExit(`init exited (${signal ?? `code ${code}`})`);
  });
  child.on('error', (e) => i.onExit(`cannot spawn launcher: ${e.message}`));
  const control = child.stdin!;
  const status = child.stdio[4] as Readable;
  control.on('error', () => {});
  try {
    await waitReady(status, child);
    const pid = child.pid!;
    await attachVethNetwork(i.index, pid, i.base);
    control.end('go\n');
  } catch (e) {
    if (!exited) child.kill('SIGKILL');
    // The launcher's own stages (mounts, lxcfs, namespaces) say why on the console.
    let tail = '';
    try {
      tail = consoleTail(i.script.consoleLog, START_CONSOLE_LINES);
    } catch { /* no console: nothing to add */ }
    if (e instanceof PuduError && e.code === 'VM_START_FAILED' && tail) throw new PuduError('VM_START_FAILED', `${e.message}\n--- console (last lines) ---\n${tail}`, { console: tail });
    throw e;
  } finally {
    status.destroy();
    // Nothing may tie the VM to this process once it runs.
    (control as unknown as { unref?: () => void }).unref?.();
  }
  return child;
}
