export * from './driver.ts';
export * from './network/addressing.ts';
export * from './network/index-allocator.ts';
export { verifyRoute } from './network/route-check.ts';
export { exportOciLayout, type OciExport } from './kubernetes/oci-layout.ts';
export { assertBaseFree, overlappingRoutes, readHostRoutes, type HostRoute } from './network/base-overlap.ts';
export { pidAlive } from './util/pid.ts';
export { allowFleet, removeFleetRules, ensureBaseFirewall, fleetChain, type FleetMember } from './network/firewall.ts';
export { buildGuestImage, defaultCacheDir, type BuildGuestImageOptions, type GuestImage } from './image/build-guest-image.ts';
export { renderVmFiles, type VmConfigInput, type VmFile } from './image/vm-config.ts';
export { resolveUserImage, type UserImageOptions } from './image/user-image.ts';
export { AGENT_PORT, APP_SERVER_PORT, GUEST_PACKAGES } from './image/recipe.ts';
export { driverIsolation } from './isolation.ts';
export { createDriver, probeSandbox, registerDriverFactory, type CreateDriverOptions, type DriverChoice } from './create-driver.ts';
export { createSandboxDriver, type SandboxDriverOptions } from './sandbox/sandbox-driver.ts';
export { cleanupHost, registerCleaner, type CleanupOptions, type CleanupReport } from './cleanup.ts';
export { waitReady, probeAgent, probeSsh } from './readiness.ts';

import { registerCleaner } from './cleanup.ts';
import { cleanupQemuLeftovers } from './qemu/index.ts';

registerCleaner('qemu', () => cleanupQemuLeftovers(process.env.PUDU_STATE_DIR ?? '/var/lib/pudu'));
// The firecracker driver plugs itself into createDriver and cleanupHost.
import './firecracker/register.ts';
// So does the Kubernetes driver.
import './kubernetes/register.ts';
