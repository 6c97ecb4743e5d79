/**
 * The VM driver of a replica that may not lead yet: opened only when it is first used,
 * which on a follower is never (it forwards everything that touches VMs). A driver whose
 * VMs belong to the database takes the owner's lease when it opens (the sandbox's): a
 * follower on the same host must not take it while the leader holds it.
 */
import type { DriverName, FleetSpec, VmDriver, VmInfo } from '@pudu/drivers';

/** What each driver offers beyond the required methods (callers test for the optional ones before the driver is open). */
const CAPABILITIES: Record<DriverName, { adopt?: true; hostView?: true; streams?: true }> = {
  sandbox: { adopt: true, hostView: true },
  kubernetes: { adopt: true, streams: true },
  qemu: {},
  firecracker: {},
};

export class LazyDriver implements VmDriver {
  private opened: Promise<VmDriver> | null = null;
  readonly adoptFleet?: VmDriver['adoptFleet'];
  readonly hostView?: VmDriver['hostView'];
  readonly openStream?: VmDriver['openStream'];
  readonly openShell?: VmDriver['openShell'];

  constructor(readonly name: DriverName, private readonly open: () => Promise<VmDriver>) {
    const caps = CAPABILITIES[name];
    if (caps.adopt) this.adoptFleet = async (spec, opts) => (await this.driver()).adoptFleet!(spec, opts);
    if (caps.hostView) this.hostView = async (fleetId, vm) => (await this.driver()).hostView?.(fleetId, vm);
    if (caps.streams) {
      this.openStream = async (fleetId, vm, to) => (await this.driver()).openStream!(fleetId, vm, to);
      this.openShell = async (fleetId, vm, size) => (await this.driver()).openShell!(fleetId, vm, size);
    }
  }

  /** The real driver (opened now if it was not). */
  driver(): Promise<VmDriver> {
    this.opened ??= this.open().then((d) => {
      if (d.name !== this.name) throw new Error(`driver ${this.name} opened as ${d.name}`);
      // The table above must say what the driver really offers, or callers would miss a way in.
      const caps = CAPABILITIES[d.name];
      const drift = ([['adoptFleet', caps.adopt], ['hostView', caps.hostView], ['openStream', caps.streams], ['openShell', caps.streams]] as const)
        .filter(([m, listed]) => (typeof d[m] === 'function') !== !!listed).map(([m]) => m);
      if (drift.length) throw new Error(`lazy-driver.ts CAPABILITIES of ${d.name} disagree with the driver on ${drift.join(', ')}`);
      return d;
    }).catch((e: unknown) => {
      this.opened = null;
      throw e;
    });
    return this.opened;
  }

  /** Whether the real driver was opened (a follower's is not). */
  get isOpen(): boolean {
    return this.opened !== null;
  }

  async createFleet(spec: FleetSpec, opts?: { onProgress?: (msg: string) => void; signal?: AbortSignal }): Promise<VmInfo[]> {
    return (await this.driver()).createFleet(spec, opts);
  }
  async destroyFleet(fleetId: string): Promise<void> {
    return (await this.driver()).destroyFleet(fleetId);
  }
  async listVms(): Promise<VmInfo[]> {
    return (await this.driver()).listVms();
  }
  async consoleLog(fleetId: string, vmName: string, lines?: number): Promise<string> {
    return (await this.driver()).consoleLog(fleetId, vmName, lines);
  }
}
