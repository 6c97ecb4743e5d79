/**
 * Request bodies of the Firecracker API (v1.x, swagger `firecracker.yaml`) that Pudu uses.
 * Field names are the API's own (snake_case); optional fields are left out, not null.
 */

export type LogLevel = 'Error' | 'Warning' | 'Info' | 'Debug' | 'Trace' | 'Off';

export interface LoggerConfig {
  log_path: string;
  level?: LogLevel;
  show_level?: boolean;
  show_log_origin?: boolean;
}

export interface MetricsConfig {
  metrics_path: string;
}

export interface MachineConfig {
  /** 1..32; with smt, 1 or even. */
  vcpu_count: number;
  mem_size_mib: number;
  smt?: boolean;
  track_dirty_pages?: boolean;
}

export interface BootSource {
  kernel_image_path: string;
  boot_args?: string;
  initrd_path?: string;
}

export interface Drive {
  drive_id: string;
  is_root_device: boolean;
  path_on_host: string;
  is_read_only: boolean;
}

export interface NetworkInterface {
  iface_id: string;
  host_dev_name: string;
  guest_mac?: string;
}

export interface Vsock {
  /** ≥ 3 (0–2 are reserved). */
  guest_cid: number;
  uds_path: string;
}

export interface MmdsConfig {
  network_interfaces: string[];
  version?: 'V1' | 'V2';
  ipv4_address?: string;
}

export type ActionType = 'InstanceStart' | 'SendCtrlAltDel' | 'FlushMetrics';

export interface SnapshotCreate {
  snapshot_type?: 'Full' | 'Diff';
  snapshot_path: string;
  mem_file_path: string;
}

export interface SnapshotLoad {
  snapshot_path: string;
  mem_backend: { backend_type: 'File' | 'Uffd'; backend_path: string };
  enable_diff_snapshots?: boolean;
  resume_vm?: boolean;
}

export interface InstanceInfo {
  id: string;
  state: 'Not started' | 'Running' | 'Paused';
  vmm_version: string;
  app_name: string;
}
