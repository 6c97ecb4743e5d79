/**
 * Dead-man switch: when the controller has not made an authenticated request for
 * `timeoutMs`, `onExpire` runs (the agent reverts every fault). It re-arms itself, so a
 * controller that comes back and starts new faults is protected again.
 */
export class DeadMan {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onExpire: () => void,
  ) {}

  touch(): void {
    if (this.timeoutMs <= 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onExpire();
    }, this.timeoutMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
