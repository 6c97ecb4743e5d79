export { KubernetesDriver, defaultKubeConfig, type KubernetesDriverOptions } from './kubernetes-driver.ts';
export { fleetManifests, fleetObjectName, vmObjectName, resourcesOf, type FleetManifests, type KubernetesSettings } from './manifests.ts';
export { exportOciLayout, type OciExport } from './oci-layout.ts';
