// Repeats an async task on an interval without overlapping calls, and stops cleanly.

export interface Poller {
  /** Runs the task now, or right after the one in flight. */
  kick(): void;
  stop(): void;
}

/** Calls `task` now and then every `intervalMs`; errors go to `onError`, polling goes on. */
export function startPolling(task: () => Promise<void>, intervalMs: number, onError: (e: unknown) => void): Poller {
  let stopped = false;
  let inFlight = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = async (): Promise<void> => {
    if (stopped) return;
    if (inFlight) {
      // A kick during a run means "something changed": read again as soon as it ends.
      again = true;
      return;
    }
    inFlight = true;
    again = false;
    if (timer) clearTimeout(timer);
    try {
      await task();
    } catch (e) {
      if (!stopped) onError(e);
    } finally {
      inFlight = false;
      if (!stopped) timer = setTimeout(() => void run(), again ? 0 : intervalMs);
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
