// Follows a run's event stream, reconnecting with backoff and resuming after the last
// event seen, until stopped.
import type { PuduClient } from '@pudu/client';
import type { RunEvent } from './view-model.ts';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15000;

export interface EventFollower {
  stop(): void;
}

export function followEvents(client: PuduClient, runId: string, onEvent: (e: RunEvent) => void): EventFollower {
  const controller = new AbortController();
  let lastSeq = 0;
  let attempt = 0;
  const loop = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        await client.streamRunEvents(runId, (e) => {
          attempt = 0;
          lastSeq = e.seq;
          onEvent(e);
        }, { after: lastSeq, signal: controller.signal });
      } catch {
        // Status polling keeps the room current while the stream is down.
      }
      if (controller.signal.aborted) return;
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt);
      attempt += 1;
      await new Promise((r) => setTimeout(r, delay));
    }
  };
  void loop();
  return { stop: () => controller.abort() };
}
