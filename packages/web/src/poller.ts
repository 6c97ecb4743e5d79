// Repeats an async task on an interval without overlapping calls, and stops cleanly.

export interface Poller {
  /** Runs the task now (skipped if a run is in flight). */
  kick(): void;
  stop(): void;
}

/** Calls `task` now and then every `intervalMs`; errors go to `onError`, polling goes on. */
export function startPolling(task: () => Promise<void>, intervalMs: number, onError: (e: unknown) => void): Poller {
  let stopped = false;
  let inFlight = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = async (): Promise<void> => {
    if (stopped || inFlight) return;
    inFlight = true;
    if (timer) clearTimeout(timer);
    try {
      await task();
    } catch (e) {
      if (!stopped) onError(e);
    } finally {
      inFlight = false;
      if (!stopped) timer = setTimeout(() => void run(), intervalMs);
    }
  };
  void run();
  return {
    kick: () => void run(),
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
