/**
 * Run events: persisted first, then pushed to live subscribers (SSE). A subscriber that
 * connects late reads the stored events after its last seq, then follows the bus.
 */
import { EventEmitter } from 'node:events';
import type { RunEvent, RunEventDataInput } from '@pudu/schema';
import type { Store } from '../store/store.ts';

export class EventBus {
  private readonly emitter = new EventEmitter();
  constructor(private readonly store: Store) {
    this.emitter.setMaxListeners(0);
  }

  /** Persists the event, then notifies listeners of that run. */
  async publish<K extends string>(runId: string, kind: K, data: RunEventDataInput<K>): Promise<RunEvent> {
    const ev = await this.store.appendEvent({ runId, at: new Date().toISOString(), kind, data });
    this.emitter.emit(runId, ev);
    this.emitter.emit('*', ev);
    return ev;
  }

  /** Listens to one run (or `*` for all); returns the unsubscribe function. */
  subscribe(runId: string, fn: (ev: RunEvent) => void): () => void {
    this.emitter.on(runId, fn);
    return () => this.emitter.off(runId, fn);
  }
}
