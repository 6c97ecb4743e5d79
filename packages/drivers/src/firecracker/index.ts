export { FirecrackerDriver, copyRootfs, cleanupFirecrackerLeftovers, type FirecrackerDriverOptions } from './firecracker-driver.ts';
export { FirecrackerApi, type FirecrackerApiError } from './api-client.ts';
export { buildBootPlan, configureAndStart, type BootPlan, type BootPlanInput } from './boot-sequence.ts';
export { launchArgs, launchLayout, launchFirecracker, JAILER_CHROOT_BASE, type FirecrackerBinaries, type LaunchLayout } from './launch.ts';
export { probeFirecracker, findFirecracker, type FirecrackerProbe } from './probe.ts';
export type * from './api-types.ts';
