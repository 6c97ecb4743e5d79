export { QemuDriver, cleanupQemuLeftovers } from './qemu-driver.ts';
export { probeQemu, chooseAccel, probeKvmBoot, hostTscKhz, type AccelChoice, type ProbeResult } from './accel-probe.ts';
export { buildQemuArgs, type QemuMachine } from './qemu-args.ts';
