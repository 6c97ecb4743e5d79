import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentFaultRecord } from '@pudu/schema';
import { PuduError } from '@pudu/schema';
import type { Undo } from './faults/fault.ts';

/** A fault as the journal keeps it: its public record plus what a revert needs. */
export interface JournalEntry extends AgentFaultRecord {
  /** `applying` is written before the guest is touched; a crash there still gets reverted. */
  phase: 'applying' | 'applied' | 'ended';
  undo: Undo;
}

const JOURNAL_FILE = 'faults.json';
const KEEP_ENDED = 200;

/**
 * The write-ahead journal of fault intents. Every change is written to a temp file,
 * fsynced, renamed over the journal and the directory fsynced, so after a crash the file
 * holds either the old or the new state, never half of one.
 */
export class Journal {
  private readonly path: string;
  private entries: JournalEntry[] = [];

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, JOURNAL_FILE);
  }

  /** Loads the journal from disk; a missing file is an empty journal, a corrupt one is an error. */
  load(): JournalEntry[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      this.entries = [];
      return [];
    }
    try {
      const parsed = JSON.parse(text) as { faults: JournalEntry[] };
      this.entries = parsed.faults;
    } catch (e) {
      throw new PuduError('INTERNAL', `journal ${this.path} is not valid JSON: ${(e as Error).message}`);
    }
    return this.entries;
  }

  all(): JournalEntry[] {
    return this.entries;
  }

  get(id: string): JournalEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  /** Inserts or replaces an entry by id and makes it durable before returning. */
  put(entry: JournalEntry): void {
    const i = this.entries.findIndex((e) => e.id === entry.id);
    if (i >= 0) this.entries[i] = entry;
    else this.entries.push(entry);
    const ended = this.entries.filter((e) => e.phase === 'ended');
    if (ended.length > KEEP_ENDED) {
      const drop = new Set(ended.slice(0, ended.length - KEEP_ENDED));
      this.entries = this.entries.filter((e) => !drop.has(e));
    }
    this.flush();
  }

  private flush(): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ version: 1, faults: this.entries }, null, 1));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }
}
