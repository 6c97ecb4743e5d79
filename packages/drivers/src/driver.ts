/**
 * One interface for every way Pudu runs a VM: a namespace sandbox, QEMU, Firecracker.
 * The engine and server talk to VMs only through this and the agent's HTTP API.
 */
export type DriverName = 'sandbox' | 'qemu' | 'firecracker' | 'kubernetes';

import type { Duplex } from 'node:stream';
import type { VmSpec } from '@pudu/schema';

/** What a VM is asked to be; comes from a compiled scenario tier or `fleet create --count`. */
export type { VmSpec };

export interface FleetSpec {
  /** Short id, also part of host object names so cleanup can find them. */
  id: string;
  vms: VmSpec[];
  /**
   * What the in-VM agent gets at creation: the fleet's Ed25519 public key (raw base64url,
   * written to /etc/pudu/agent.pub; the private half never leaves the server) and extra
   * pudu-agent flags (written as PUDU_AGENT_OPTS to /etc/default/pudu-agent). Each VM's agent
   * is told its audience `<fleet id>/<vm name>`, so a request signed for one VM is refused by another.
   */
  agent?: { publicKey?: string; opts?: string[] };
}

export type VmState = 'creating' | 'booting' | 'ready' | 'stopping' | 'stopped' | 'failed';

export interface VmInfo {
  name: string;
  fleetId: string;
  /** Global VM index N: host 172.16.N.1, guest 172.16.N.2 under the default base. */
  index: number;
  hostIp: string;
  guestIp: string;
  /** Host-side link (veth or TAP) that the route to guestIp must go through. */
  hostLink: string;
  state: VmState;
  driver: DriverName;
  /** Port the in-VM agent listens on, reached at guestIp (when there is no agentSocket). */
  agentPort: number;
  /**
   * Host path of the agent's Unix socket, in a host-owned directory bound into the VM (the
   * sandbox): no network path to sniff or redirect. Absent: TCP at guestIp:agentPort.
   */
  agentSocket?: string;
  /** Driver-specific process id of the VM's top process (sandbox init, qemu, firecracker). */
  pid?: number;
}

/**
 * What the host sees of a VM by itself, without the agent (root in the VM controls the agent,
 * not the host's view). Fields a driver cannot observe are absent.
 */
export interface HostVmView {
  at: string;
  /** Used share of the VM's root filesystem, 0–100, as the host's statfs of it says. */
  diskUsedPct?: number;
  /** Memory the VM's cgroup uses, 0–100 of its limit (page cache included). */
  memUsedPct?: number;
  /** CPU time the VM's cgroup has used so far (ns). */
  cpuUsageNs?: number;
  /** Processes in the VM (host PIDs), from the host's /proc. */
  processes?: { pid: number; comm: string }[];
}

/** An interactive shell as root in a VM (the terminal WebSocket bridges to it). */
export interface VmShell {
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  onData(fn: (d: Buffer) => void): void;
  onClose(fn: () => void): void;
  close(): void;
}

/** Where a driver-carried stream ends inside the VM: its agent, or a TCP port on its loopback. */
export type VmStreamTarget = { agent: true } | { port: number };

export interface VmDriver {
  readonly name: DriverName;
  /** Creates and boots every VM of the fleet; resolves when each is ready (agent healthy, sshd accepting). */
  createFleet(spec: FleetSpec, opts?: { onProgress?: (msg: string) => void; signal?: AbortSignal }): Promise<VmInfo[]>;
  /** Stops and removes everything the fleet created on the host. Idempotent. */
  destroyFleet(fleetId: string): Promise<void>;
  /**
   * Optional (drivers whose VMs outlive the process that created them): takes over a fleet
   * an earlier process with the same owner id created. Running VMs are adopted untouched;
   * VMs that are gone are booted afresh from the spec. Resolves with every VM and the
   * names of those it had to replace.
   */
  adoptFleet?(spec: FleetSpec, opts?: { onProgress?: (msg: string) => void; signal?: AbortSignal }): Promise<{ vms: VmInfo[]; replaced: string[] }>;
  listVms(): Promise<VmInfo[]>;
  /**
   * The host's own view of a VM (sandbox: statfs of its disk, its cgroups, its processes),
   * for checking what its agent claims. Drivers that cannot see inside leave it out.
   */
  hostView?(fleetId: string, vmName: string): Promise<HostVmView | undefined>;
  /** Last lines of the VM's console log (for boot errors and the UI). */
  consoleLog(fleetId: string, vmName: string, lines?: number): Promise<string>;
  /**
   * Optional (drivers with no host route to their VMs: kubernetes): one byte stream to the
   * VM's agent or to a port of the VM, carried by the driver (an exec stream through the
   * API server). Callers then use it instead of guestIp, and need no route check.
   */
  openStream?(fleetId: string, vmName: string, to: VmStreamTarget): Promise<Duplex>;
  /** Optional (drivers without SSH to their VMs from the server): a root shell carried by the driver. */
  openShell?(fleetId: string, vmName: string, size: { cols: number; rows: number }): Promise<VmShell>;
}
