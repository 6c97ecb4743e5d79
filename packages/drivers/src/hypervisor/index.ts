export { HypervisorDriver, type HypervisorVm, type BootSettings } from './hypervisor-driver.ts';
export { HYPERVISOR_LIMITS, mapLimit, type HypervisorDriverOptions, type HypervisorImage } from './options.ts';
export { guestKernelArgs, macForIndex, configDiskEntries, diskSizeMb, growRootFiles, type GuestKernelInput } from './guest-config.ts';
export { packTar, type TarEntry } from './tar-writer.ts';
export { startVmProcess, tailFile, pidRuns, type VmProcess } from './vm-process.ts';
export { cleanupHypervisorLeftovers, type HypervisorVmRecord } from './leftovers.ts';
