/**
 * Which accelerator really boots a guest here. `/dev/kvm` opening is not enough: on a
 * nested PVM host KVM_CREATE_VM works but stock kernels die (`failed to set MSR 0x10a`,
 * a looping decompressor, "emulation failure"). So the probe boots the real kernel and
 * initramfs with `pudu.probe=1` under KVM and waits for the init's marker; anything else
 * means TCG, with the reason logged. Results are cached per host kernel, QEMU and guest kernel.
 */
import { spawn, spawnSync } from 'node:child_process';
import { constants, accessSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { release } from 'node:os';
import { join } from 'node:path';
import { INIT_PROBE_MARKER } from '../kernel/index.ts';
import type { QemuAccel, QemuMachine } from './qemu-args.ts';

export const QEMU_BINARY = process.env.PUDU_QEMU_BINARY ?? 'qemu-system-x86_64';
const KVM_PROBE_TIMEOUT_MS = 20_000;
const PROBE_OUTPUT_TAIL_CHARS = 400;

export interface AccelChoice {
  accel: QemuAccel;
  /** Why this accelerator: shown in the log line at fleet start. */
  reason: string;
}

export interface ProbeResult {
  ok: boolean;
  reason: string;
}

/** The installed QEMU's version line, or undefined when QEMU is missing. */
export function qemuVersion(): string | undefined {
  const r = spawnSync(QEMU_BINARY, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0]?.trim() : undefined;
}

/** For `createDriver('auto')`: QEMU can run VMs here when the binary exists and TAPs can be made. */
export function probeQemu(): ProbeResult {
  const version = qemuVersion();
  if (!version) return { ok: false, reason: `${QEMU_BINARY} not found (apt-get install qemu-system-x86 qemu-utils)` };
  if (spawnSync('qemu-img', ['--version']).status !== 0) return { ok: false, reason: 'qemu-img not found (apt-get install qemu-utils)' };
  if (!existsSync('/dev/net/tun')) return { ok: false, reason: '/dev/net/tun missing: TAP networking impossible' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'TAP devices need root' };
  return { ok: true, reason: `${version}; KVM is probed at first boot, TCG otherwise` };
}

/** Host TSC frequency in kHz from the kernel log (or /proc/cpuinfo), for microvm's tsc_early_khz. */
export function hostTscKhz(): number | undefined {
  const dmesg = spawnSync('dmesg', [], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  const text = dmesg.status === 0 ? dmesg.stdout : '';
  const refined = /Refined TSC clocksource calibration: ([\d.]+) MHz/.exec(text) ?? /tsc: Detected ([\d.]+) MHz/.exec(text);
  if (refined) return Math.round(Number(refined[1]) * 1000);
  const cpuinfo = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return cpuinfo ? Math.round(Number(cpuinfo[1]) * 1000) : undefined;
}

function kvmOpenError(): string | undefined {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return undefined;
  } catch (e) {
    return `/dev/kvm is not usable (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
}

/** Boots the kernel once under KVM; ok only when the guest's init printed the probe marker. */
export function probeKvmBoot(kernel: string, initrd: string, machine: QemuMachine): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn(QEMU_BINARY, [
      '-M', machine, '-accel', 'kvm', '-cpu', 'host', '-m', '256M', '-smp', '1',
      '-nodefaults', '-no-user-config', '-nographic', '-no-reboot', '-serial', 'stdio',
      '-kernel', kernel, '-initrd', initrd, '-append', 'console=ttyS0 panic=-1 reboot=k quiet pudu.probe=1',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let settled = false;
    const finish = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `KVM guest printed no init marker within ${KVM_PROBE_TIMEOUT_MS / 1000} s (hung boot)` }), KVM_PROBE_TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes(INIT_PROBE_MARKER)) finish({ ok: true, reason: 'KVM boots the guest kernel' });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => finish({ ok: false, reason: `cannot run ${QEMU_BINARY}: ${e.message}` }));
    child.on('close', (code) => {
      const tail = out.replace(/\s+/g, ' ').trim().slice(-PROBE_OUTPUT_TAIL_CHARS);
      finish({ ok: false, reason: `KVM guest exited (${code}) before init: ${tail}` });
    });
  });
}

/**
 * KVM when a probe boot under KVM reaches the initramfs, TCG otherwise.
 * $PUDU_QEMU_ACCEL=tcg|kvm skips the probe.
 */
export async function chooseAccel(opts: { kernel: string; initrd: string; machine: QemuMachine; cacheDir: string }): Promise<AccelChoice> {
  const forced = process.env.PUDU_QEMU_ACCEL;
  if (forced === 'tcg' || forced === 'kvm') return { accel: forced, reason: `forced by PUDU_QEMU_ACCEL=${forced}` };
  const noKvm = kvmOpenError();
  if (noKvm) return { accel: 'tcg', reason: noKvm };
  const key = createHash('sha256')
    .update(JSON.stringify([release(), qemuVersion(), opts.kernel, statSync(opts.kernel).size, opts.machine]))
    .digest('hex').slice(0, 16);
  const cacheFile = join(opts.cacheDir, 'probe', `qemu-kvm-${key}.json`);
  let result: ProbeResult;
  if (existsSync(cacheFile)) {
    result = JSON.parse(readFileSync(cacheFile, 'utf8')) as ProbeResult;
  } else {
    result = await probeKvmBoot(opts.kernel, opts.initrd, opts.machine);
    mkdirSync(join(opts.cacheDir, 'probe'), { recursive: true });
    writeFileSync(cacheFile, `${JSON.stringify(result)}\n`);
  }
  return result.ok
    ? { accel: 'kvm', reason: result.reason }
    : { accel: 'tcg', reason: `KVM cannot boot the guest kernel on this host (${result.reason}); using TCG, guests run ≈10× slower` };
}
