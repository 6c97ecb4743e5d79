export { QemuDriver, cleanupQemuLeftovers } from './qemu-driver.ts';
export { cleanupHypervisorLeftovers, type HypervisorVmRecord } from './leftovers.ts';
export { probeQemu, chooseAccel, probeKvmBoot, hostTscKhz, type AccelChoice, type ProbeResult } from './accel-probe.ts';
export { buildQemuArgs, guestKernelArgs, macForIndex, type QemuMachine } from './qemu-args.ts';
export { waitForGuestReady, agentHealthy, sshAccepting } from './readiness.ts';
export type { HypervisorDriverOptions, HypervisorImage } from './hypervisor-options.ts';
