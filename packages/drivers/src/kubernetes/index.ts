export { KubernetesDriver, defaultKubeConfig, type KubernetesDriverOptions } from './kubernetes-driver.ts';
export { fleetManifests, fleetObjectName, vmObjectName, resourcesOf, kubernetesVmFiles, relayCommand, type FleetManifests, type KubernetesSettings } from './manifests.ts';
export { openExecStream, ExecStream, type ExecTarget } from './exec-stream.ts';
export { exportOciLayout, type OciExport } from './oci-layout.ts';
