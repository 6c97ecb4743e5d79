/**
 * The pre-boot configuration of one microVM, in the order Firecracker's docs use:
 * logger → metrics → machine-config → boot-source → drives → network-interfaces →
 * vsock → mmds → InstanceStart. Built as data first (testable, printable), then sent.
 */
import type { BootSource, Drive, LoggerConfig, MachineConfig, MetricsConfig, MmdsConfig, NetworkInterface, Vsock } from './api-types.ts';
import type { FirecrackerApi } from './api-client.ts';

export interface BootPlan {
  logger: LoggerConfig;
  metrics: MetricsConfig;
  machine: MachineConfig;
  boot: BootSource;
  drives: Drive[];
  nics: NetworkInterface[];
  vsock?: Vsock;
  mmds?: { config: MmdsConfig; data: unknown };
}

export interface BootPlanInput {
  vmDir: string;
  vcpus: number;
  memMb: number;
  kernel: string;
  initrd?: string;
  bootArgs: string[];
  rootfs: string;
  configDisk: string;
  tap: string;
  mac: string;
  /** Guest CID for a vsock device (≥ 3); none when undefined. */
  vsockCid?: number;
  /** Metadata served to the guest over MMDS; none when undefined. */
  metadata?: unknown;
}

/** The calls that configure one VM. `pci=off`: Firecracker has no PCI bus, so the kernel skips probing one. */
export function buildBootPlan(i: BootPlanInput): BootPlan {
  return {
    logger: { log_path: `${i.vmDir}/firecracker-vmm.log`, level: 'Warning', show_level: true, show_log_origin: false },
    metrics: { metrics_path: `${i.vmDir}/firecracker-metrics.json` },
    machine: { vcpu_count: i.vcpus, mem_size_mib: i.memMb, smt: false, track_dirty_pages: false },
    boot: { kernel_image_path: i.kernel, boot_args: [...i.bootArgs, 'pci=off'].join(' '), ...(i.initrd ? { initrd_path: i.initrd } : {}) },
    drives: [
      { drive_id: 'rootfs', is_root_device: true, path_on_host: i.rootfs, is_read_only: false },
      { drive_id: 'config', is_root_device: false, path_on_host: i.configDisk, is_read_only: true },
    ],
    nics: [{ iface_id: 'eth0', host_dev_name: i.tap, guest_mac: i.mac }],
    ...(i.vsockCid !== undefined ? { vsock: { guest_cid: i.vsockCid, uds_path: `${i.vmDir}/vsock.sock` } } : {}),
    ...(i.metadata !== undefined ? { mmds: { config: { network_interfaces: ['eth0'], version: 'V2' }, data: i.metadata } } : {}),
  };
}

/** Sends the plan and starts the instance; the first failing call's fault_message is the error. */
export async function configureAndStart(api: FirecrackerApi, p: BootPlan): Promise<void> {
  await api.putLogger(p.logger);
  await api.putMetrics(p.metrics);
  await api.putMachineConfig(p.machine);
  await api.putBootSource(p.boot);
  for (const d of p.drives) await api.putDrive(d);
  for (const n of p.nics) await api.putNetworkInterface(n);
  if (p.vsock) await api.putVsock(p.vsock);
  if (p.mmds) {
    await api.putMmdsConfig(p.mmds.config);
    await api.putMmds(p.mmds.data);
  }
  await api.action('InstanceStart');
}
