/**
 * Records terminal sessions of a run as asciicast v2 into the store. Lines are buffered
 * and written every FLUSH_MS (a keystroke is not a database write); each run has a budget
 * of bytes shared by all its sessions, and past it the recording says so and stops.
 */
import type { RecordingStore } from './recording-store.ts';
import { AsciicastWriter, type AsciicastCode } from './asciicast.ts';

/** Per-run recording budget (docs/learning.md states it): ≈ hours of typical shell work. */
export const RECORDING_BUDGET_BYTES = 8 * 1024 * 1024;
const FLUSH_MS = 500;
const TRUNCATED_NOTICE = '\r\n[pudu] the recording budget of this run is used up: the rest of this session is not recorded\r\n';

interface Budget { used: number; limit: number }

export interface SessionRecorder {
  readonly id: string;
  output(data: Buffer): void;
  input(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** Flushes and marks the recording ended. */
  close(): Promise<void>;
}

export class Recordings {
  private readonly budgets = new Map<string, Promise<Budget>>();

  constructor(readonly store: RecordingStore, private readonly log: (msg: string) => void, readonly budgetBytes = RECORDING_BUDGET_BYTES) {}

  private budgetOf(runId: string): Promise<Budget> {
    let b = this.budgets.get(runId);
    if (!b) {
      b = this.store.usedBytes(runId).then((used) => ({ used, limit: this.budgetBytes }));
      this.budgets.set(runId, b);
    }
    return b;
  }

  /** The run was deleted (or ended long ago): forget its budget. */
  forget(runId: string): void {
    this.budgets.delete(runId);
  }

  async start(o: { id: string; runId: string; vm: string; openedBy: string; role: string; cols: number; rows: number; title: string }): Promise<SessionRecorder> {
    const budget = await this.budgetOf(o.runId);
    const startMs = Date.now();
    const writer = new AsciicastWriter({
      version: 2, width: o.cols, height: o.rows, timestamp: Math.floor(startMs / 1000), title: o.title,
      env: { TERM: 'xterm-256color', SHELL: '/bin/bash' },
    }, startMs);
    const header = writer.headerLine();
    await this.store.create({ id: o.id, runId: o.runId, vm: o.vm, openedBy: o.openedBy, role: o.role, startedAt: new Date(startMs).toISOString() }, header);
    budget.used += Buffer.byteLength(header);
    let bytes = Buffer.byteLength(header);
    let truncated = false;
    let pending = '';
    let chain: Promise<void> = Promise.resolve();
    let timer: NodeJS.Timeout | null = null;

    const flush = (): Promise<void> => {
      if (timer) clearTimeout(timer);
      timer = null;
      const data = pending;
      pending = '';
      const total = bytes;
      const cut = truncated;
      chain = chain.then(() => this.store.append(o.id, o.runId, data, total, cut)).catch((e: unknown) => this.log(`recording ${o.id}: write failed: ${String(e)}`));
      return chain;
    };
    const add = (code: AsciicastCode, data: Buffer | string): void => {
      if (truncated) return;
      const line = writer.line(Date.now(), code, data);
      if (!line) return;
      const size = Buffer.byteLength(line);
      if (budget.used + size > budget.limit) {
        truncated = true;
        const notice = writer.line(Date.now(), 'o', TRUNCATED_NOTICE);
        pending += notice;
        bytes += Buffer.byteLength(notice);
        void flush();
        return;
      }
      budget.used += size;
      bytes += size;
      pending += line;
      timer ??= setTimeout(() => void flush(), FLUSH_MS);
    };
    return {
      id: o.id,
      output: (d) => add('o', d),
      input: (d) => add('i', d),
      resize: (cols, rows) => add('r', `${cols}x${rows}`),
      close: async () => {
        await flush();
        await this.store.end(o.id, new Date().toISOString()).catch((e: unknown) => this.log(`recording ${o.id}: end failed: ${String(e)}`));
      },
    };
  }
}
