/**
 * The `probe` check's measurements: one `ping` per probed VM, from the host across the
 * fleet's own link (route checked first, and `-I` pins the interface), 5 echoes a second.
 * Loss and latency are what users of that VM would see, whatever rule or qdisc caused
 * them: the check judges the effect, not the mechanism.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { assertRouteThrough } from '../net/route-guard.ts';

export const PROBE_INTERVAL_MS = 200;
/** An echo not answered within this is lost (and one answered later stays lost). */
export const PROBE_TIMEOUT_MS = 1000;
/** Samples kept per VM: the longest window a scenario may ask for is bounded by this. */
const MAX_SAMPLES = 10 * 60 * (1000 / PROBE_INTERVAL_MS);

interface Sample {
  sentAtMs: number;
  rttMs: number | null;
}

export interface ProbeStats {
  /** Echoes whose fate is known (sent at least PROBE_TIMEOUT_MS ago) inside the window. */
  sent: number;
  lost: number;
  lossPct: number;
  /** 95th percentile round trip of the answered ones; null when none was answered. */
  p95Ms: number | null;
  /** Share of the window that has samples (a prober started 5 s ago covers 5 s of 30). */
  coverage: number;
}

/** `64 bytes from 10.0.0.2: icmp_seq=12 ttl=64 time=0.071 ms` / `no answer yet for icmp_seq=13`. */
const REPLY_RE = /icmp_seq=(\d+) .*time=([\d.]+) ms/;
const NO_ANSWER_RE = /no answer yet for icmp_seq=(\d+)/;

class VmProber {
  private readonly samples = new Map<number, Sample>();
  private child: ChildProcess | null = null;
  private startedAtMs = 0;
  private stopped = false;

  constructor(readonly address: string, readonly link: string) {}

  async start(now: () => number): Promise<void> {
    await assertRouteThrough(this.address, this.link);
    if (this.stopped) return;
    this.startedAtMs = now();
    // -O reports an unanswered echo when the next one goes out, so every seq is seen ~at its send time.
    const child = spawn('ping', ['-n', '-O', '-i', String(PROBE_INTERVAL_MS / 1000), '-W', '1', '-I', this.link, this.address], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    let buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) this.line(line, now());
    });
    child.on('error', () => {});
    child.on('exit', () => {
      if (this.child === child) this.child = null;
    });
  }

  private line(line: string, atMs: number): void {
    const reply = REPLY_RE.exec(line);
    if (reply) {
      const seq = Number(reply[1]);
      const rtt = Number(reply[2]);
      const known = this.samples.get(seq);
      // Answered after it was counted lost: still lost, as a user who gave up on it would say.
      if (known) {
        if (known.rttMs === null && rtt <= PROBE_TIMEOUT_MS) known.rttMs = rtt;
      } else this.samples.set(seq, { sentAtMs: atMs - rtt, rttMs: rtt <= PROBE_TIMEOUT_MS ? rtt : null });
    } else {
      const none = NO_ANSWER_RE.exec(line);
      if (none && !this.samples.has(Number(none[1]))) this.samples.set(Number(none[1]), { sentAtMs: atMs - PROBE_INTERVAL_MS, rttMs: null });
    }
    if (this.samples.size > MAX_SAMPLES) {
      const oldest = this.samples.keys().next().value;
      if (oldest !== undefined) this.samples.delete(oldest);
    }
  }

  stats(windowMs: number, nowMs: number): ProbeStats {
    const until = nowMs - PROBE_TIMEOUT_MS;
    const from = until - windowMs;
    const inWindow = [...this.samples.values()].filter((s) => s.sentAtMs >= from && s.sentAtMs < until);
    const answered = inWindow.filter((s) => s.rttMs !== null).map((s) => s.rttMs!).sort((a, b) => a - b);
    const lost = inWindow.length - answered.length;
    const p95Ms = answered.length === 0 ? null : answered[Math.min(answered.length - 1, Math.ceil(answered.length * 0.95) - 1)]!;
    const covered = this.child || this.samples.size > 0 ? Math.max(0, until - Math.max(from, this.startedAtMs)) : 0;
    return {
      sent: inWindow.length, lost, p95Ms,
      lossPct: inWindow.length === 0 ? 100 : Math.round((lost / inWindow.length) * 10_000) / 100,
      coverage: windowMs <= 0 ? 1 : Math.min(1, covered / windowMs),
    };
  }

  stop(): void {
    this.stopped = true;
    const c = this.child;
    this.child = null;
    if (c && c.exitCode === null && c.pid !== undefined) c.kill('SIGTERM');
  }
}

/** One run's probers, started on first use and stopped with the run. */
export class LinkProbes {
  private readonly probers = new Map<string, VmProber>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Starts probing `vm` (once; a new address or link starts over) and returns its figures so far. */
  async stats(vm: string, address: string, link: string, windowMs: number): Promise<ProbeStats> {
    let p = this.probers.get(vm);
    if (p && (p.address !== address || p.link !== link)) {
      p.stop();
      p = undefined;
    }
    if (!p) {
      p = new VmProber(address, link);
      this.probers.set(vm, p);
      try {
        await p.start(this.now);
      } catch (e) {
        this.probers.delete(vm);
        throw e;
      }
    }
    return p.stats(windowMs, this.now());
  }

  stop(): void {
    for (const p of this.probers.values()) p.stop();
    this.probers.clear();
  }
}
