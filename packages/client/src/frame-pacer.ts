/**
 * Paces outbound frames so that no window of one second carries more than
 * `maxPerSecond` of them: a burst (the queued sends flushed after a
 * reconnect) would otherwise trip the server's per-connection rate limit,
 * whose refusals end in a 4429 close. A sliding log of send times is exact
 * whatever the server's window alignment; frames over the budget wait in
 * order. `maxPerSecond` 0 disables pacing.
 */
export class FramePacer {
  private readonly times: number[] = [];
  private readonly queue: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly maxPerSecond: number,
    private readonly sink: (text: string) => void,
  ) {}

  /** Frames waiting for their turn. */
  get queued(): number {
    return this.queue.length;
  }

  /** Sends `text` now if the budget allows, else queues it behind earlier frames. */
  write(text: string): void {
    if (this.maxPerSecond <= 0) {
      this.sink(text);
      return;
    }
    this.queue.push(text);
    this.drain();
  }

  /** Drops what is queued and stops the timer (the connection ended). */
  clear(): void {
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drain(): void {
    if (this.timer) return;
    while (this.queue.length > 0) {
      const now = Date.now();
      while (this.times.length > 0 && now - this.times[0]! >= 1000) this.times.shift();
      if (this.times.length >= this.maxPerSecond) {
        const wait = 1000 - (now - this.times[0]!) + 1;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.drain();
        }, wait);
        // The open socket keeps a Node.js process alive, not this timer.
        (this.timer as { unref?: () => void }).unref?.();
        return;
      }
      this.times.push(now);
      this.sink(this.queue.shift()!);
    }
  }
}
