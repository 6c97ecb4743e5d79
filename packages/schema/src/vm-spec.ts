/** What a VM is asked to be: the engine plans it from a tier, the drivers create it. */
export interface VmSpec {
  /** `<tier>-<i>`, also the guest hostname. */
  name: string;
  tier: string;
  vcpus: number;
  memMb: number;
  diskMb: number;
  /** systemd units that must be enabled and running in the guest (nginx, app-server, postgresql…). */
  services: string[];
  /**
   * How long the VM has been up when it boots, in seconds (history-spec.ts): drivers that can
   * (the sandbox's time namespace) start its clocks this far ahead. Absent: the driver's default.
   */
  uptimeS?: number;
}
