/**
 * `--warm-pool disk-full:3,db-connection-exhaustion:2`: booted, verified, fault-free fleets
 * kept ready per scenario shape, so a run starts without waiting for boot. A run takes one
 * whose VMs match its tiers exactly (names, sizes, services); the pool refills in the
 * background, one boot at a time, and only while another VM can start.
 *
 * A warm fleet is indistinguishable from a cold one: it was created for no run and never
 * touched — its agent key pair is its own (made at creation; the private half never left
 * the server), its disks are as booted, its VM names are the tiers' (so the seed picks the
 * same targets). Before it is handed out, every agent is asked for its faults: a fleet that
 * reports any, or does not answer, is destroyed instead.
 */
import { PuduError, type Fleet, type VmSpec } from '@pudu/schema';
import type { FleetManager } from './fleets/fleet-manager.ts';
import type { AgentFactory } from './runner/agent-port.ts';
import { AgentLink } from './runner/agent-link.ts';
import type { Library } from './library.ts';
import { compileOrThrow } from './policy/scenario-source.ts';

export interface WarmPoolTarget {
  scenario: string;
  size: number;
}

/** Parses `name:N,name:N` (N ≥ 1; a bare name means 1). */
export function parseWarmPoolSpec(spec: string): WarmPoolTarget[] {
  const out: WarmPoolTarget[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([\w./-]+)(?::(\d+))?$/.exec(part);
    const size = m?.[2] === undefined ? 1 : Number(m[2]);
    if (!m || !Number.isInteger(size) || size < 1 || size > 100) throw new PuduError('CONFIG_INVALID', `warm pool "${part}": expected scenario[:count] with count 1..100`);
    out.push({ scenario: m[1]!, size });
  }
  return out;
}

/** A run's tiers as a key: two scenarios with the same VMs share warm fleets. */
export function shapeKey(vms: VmSpec[]): string {
  return JSON.stringify(vms.map((v) => [v.name, v.tier, v.vcpus, v.memMb, v.diskMb, [...v.services].sort()]));
}

interface Shape { key: string; vms: VmSpec[]; size: number; ready: string[]; booting: number }

export interface WarmPoolDeps {
  fleets: FleetManager;
  library: Library;
  agentFactory: AgentFactory;
  /** Whether one more VM may start now (the pool never takes the last capacity from cold runs). */
  canStart: () => Promise<boolean>;
  log: (msg: string) => void;
}

export class WarmPool {
  private readonly shapes = new Map<string, Shape>();
  private filling: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly d: WarmPoolDeps) {}

  /** Resolves the targets' scenarios from the library; throws CONFIG_INVALID naming an unknown one. */
  async configure(targets: WarmPoolTarget[]): Promise<void> {
    for (const t of targets) {
      const entry = (await this.d.library.list()).find((e) => e.name === t.scenario || e.name.endsWith(`/${t.scenario}`));
      if (!entry) throw new PuduError('CONFIG_INVALID', `warm pool: no scenario "${t.scenario}" in the library`);
      const { yaml, file } = await this.d.library.read(entry.name);
      const vms = compileOrThrow(yaml, file).vms;
      const key = shapeKey(vms);
      const s = this.shapes.get(key) ?? { key, vms, size: 0, ready: [], booting: 0 };
      s.size += t.size;
      this.shapes.set(key, s);
    }
  }

  /** Ready fleets and targets per shape (for logs and readyz-style reports). */
  state(): { vms: string[]; ready: number; booting: number; size: number }[] {
    return [...this.shapes.values()].map((s) => ({ vms: s.vms.map((v) => v.name), ready: s.ready.length, booting: s.booting, size: s.size }));
  }

  /** Starts (or continues) refilling in the background. */
  refill(): void {
    if (this.stopped || this.filling) return;
    this.filling = this.fill().finally(() => {
      this.filling = undefined;
    });
  }

  private async fill(): Promise<void> {
    for (;;) {
      const s = [...this.shapes.values()].find((x) => x.ready.length + x.booting < x.size);
      if (!s || this.stopped) return;
      if (!(await this.d.canStart().catch(() => false))) {
        this.d.log('warm pool: no capacity to refill; waiting for the next take');
        return;
      }
      s.booting++;
      try {
        const f = await this.d.fleets.create(s.vms, { runId: null });
        s.ready.push(f.id);
        this.d.log(`warm pool: fleet ${f.id} ready (${s.vms.length} VM(s), ${s.ready.length}/${s.size})`);
      } catch (e) {
        this.d.log(`warm pool: boot failed: ${(e as Error).message}`);
        return;
      } finally {
        s.booting--;
      }
    }
  }

  /** A verified warm fleet for these tiers, claimed for `runId`; undefined when none is ready. */
  async take(vms: VmSpec[], runId: string): Promise<Fleet | undefined> {
    const s = this.shapes.get(shapeKey(vms));
    while (s && s.ready.length > 0) {
      const id = s.ready.shift()!;
      this.refill();
      if (await this.faultFree(id)) return this.d.fleets.claim(id, runId);
      this.d.log(`warm pool: fleet ${id} failed its check; destroying it`);
      await this.d.fleets.delete(id).catch(() => undefined);
    }
    return undefined;
  }

  private async faultFree(fleetId: string): Promise<boolean> {
    try {
      const link = new AgentLink(this.d.fleets, this.d.agentFactory);
      await link.sync(fleetId);
      const reports = await Promise.all(link.vmNames().map((vm) => link.agent(vm).faults()));
      return reports.every((r) => r.length === 0);
    } catch {
      return false;
    }
  }

  /** Stops refilling and destroys the fleets still waiting. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.filling?.catch(() => undefined);
    for (const s of this.shapes.values()) {
      for (const id of s.ready.splice(0)) await this.d.fleets.delete(id).catch(() => undefined);
    }
  }
}
