import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, writeSync, fstatSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
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

/** A neutral name: the guest's files must not name the fault machinery. */
const JOURNAL_FILE = 'state.db';
/** Two slots, written alternately; each is allocated up front (see below). */
const SLOT_BYTES = 256 * 1024;
const KEEP_ENDED = 200;
const HEADER_RE = /^SLOT v2 seq=(\d+) len=(\d+) sha256=([0-9a-f]{64})\n/;

/**
 * The write-ahead journal of fault intents. It must stay writable on a full disk (the disk
 * fault fills it, and the journal shares that disk), so the file is allocated once at start
 * (two 256 KiB slots of real zeros) and later only overwritten in place: the new state goes
 * into the older slot with a sequence number and a checksum, then fsync. A crash mid-write
 * leaves the other slot intact, and load picks the newest slot whose checksum holds.
 */
export class Journal {
  private readonly path: string;
  private entries: JournalEntry[] = [];
  private seq = 0;
  private fd: number | undefined;
  private readonly existed: boolean;
  /** What load() found: no file (`new`), a valid record (`intact`), or a file with none (`lost`: emptied or corrupted). */
  status: 'new' | 'intact' | 'lost' = 'new';

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, JOURNAL_FILE);
    this.existed = existsSync(this.path);
  }

  private open(): number {
    if (this.fd !== undefined) return this.fd;
    const fd = openSync(this.path, 'a+', 0o600);
    closeSync(fd);
    this.fd = openSync(this.path, 'r+');
    const size = fstatSync(this.fd).size;
    if (size < 2 * SLOT_BYTES) {
      try {
        writeSync(this.fd, Buffer.alloc(2 * SLOT_BYTES - size), 0, 2 * SLOT_BYTES - size, size);
        fsyncSync(this.fd);
      } catch (e) {
        throw new PuduError('INTERNAL', `journal ${this.path}: cannot allocate ${2 * SLOT_BYTES} bytes: ${(e as Error).message}`);
      }
    }
    return this.fd;
  }

  private readSlot(i: number): { seq: number; entries: JournalEntry[] } | undefined {
    const buf = Buffer.alloc(SLOT_BYTES);
    readSync(this.open(), buf, 0, SLOT_BYTES, i * SLOT_BYTES);
    const head = HEADER_RE.exec(buf.subarray(0, 200).toString('latin1'));
    if (!head) return undefined;
    const start = head[0].length;
    const body = buf.subarray(start, start + Number(head[2]));
    if (createHash('sha256').update(body).digest('hex') !== head[3]) return undefined;
    return { seq: Number(head[1]), entries: (JSON.parse(inflateRawSync(body).toString('utf8')) as { faults: JournalEntry[] }).faults };
  }

  /** Loads the newest intact slot; an empty or new journal holds no faults. */
  load(): JournalEntry[] {
    const slots = [this.readSlot(0), this.readSlot(1)].filter((s) => s !== undefined);
    const best = slots.sort((a, b) => b.seq - a.seq)[0];
    this.entries = best?.entries ?? [];
    this.seq = best?.seq ?? 0;
    this.status = best ? 'intact' : this.existed ? 'lost' : 'new';
    // A first record right away: from now on a journal without one was tampered with.
    if (!best) this.write();
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
    this.trim(KEEP_ENDED);
    let body = this.encode();
    for (let keep = KEEP_ENDED; body.length > SLOT_BYTES - 200 && keep > 0; keep = Math.floor(keep / 2)) {
      this.trim(keep);
      body = this.encode();
    }
    if (body.length > SLOT_BYTES - 200) throw new PuduError('INTERNAL', 'journal: too many active faults to record');
    this.write(body);
  }

  /** Compressed, so a `grep -r` for a fault id or type in the guest finds nothing (not a secret: root can inflate it). */
  private encode(): Buffer {
    return deflateRawSync(Buffer.from(JSON.stringify({ faults: this.entries })));
  }

  private write(body = this.encode()): void {
    this.seq++;
    const head = Buffer.from(`SLOT v2 seq=${this.seq} len=${body.length} sha256=${createHash('sha256').update(body).digest('hex')}\n`, 'latin1');
    const slot = Buffer.concat([head, body]);
    const fd = this.open();
    writeSync(fd, slot, 0, slot.length, (this.seq % 2) * SLOT_BYTES);
    fsyncSync(fd);
  }

  private trim(keepEnded: number): void {
    const ended = this.entries.filter((e) => e.phase === 'ended');
    if (ended.length <= keepEnded) return;
    const drop = new Set(ended.slice(0, ended.length - keepEnded));
    this.entries = this.entries.filter((e) => !drop.has(e));
  }
}
