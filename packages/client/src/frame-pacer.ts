/** Options of one frame given to a {@link FramePacer}. */
export interface PacedFrameOptions {
  /**
   * Frames with the same key supersede each other: writing one while an
   * earlier one still waits replaces the waiting one's text in its place (a
   * cumulative `ack` or `read` of a conversation), so they never pile up.
   */
  key?: string;
  /** Called right after the frame was handed to the socket. */
  onSent?: () => void;
}

interface QueuedFrame {
  text: string;
  key: string | undefined;
  onSent: (() => void) | undefined;
}

/**
 * Paces outbound frames so that no window of one second carries more than
 * `maxPerSecond` of them: a burst (the queued sends flushed after a
 * reconnect) would otherwise trip the server's per-connection rate limit,
 * whose refusals end in a 4429 close. A sliding log of send times is exact
 * whatever the server's window alignment; frames over the budget wait in
 * order. `maxPerSecond` 0 disables pacing.
 *
 * The wait is bounded: {@link offer} refuses a frame when `maxQueued` frames
 * already wait, so an application that produces frames faster than the pace
 * gets told instead of building an ever longer backlog. {@link write} never
 * refuses: it is for the client's own frames, which its other limits bound.
 */
export class FramePacer {
  private readonly times: number[] = [];
  private readonly queue: QueuedFrame[] = [];
  private readonly byKey = new Map<string, QueuedFrame>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly maxPerSecond: number,
    private readonly sink: (text: string) => void,
    private readonly maxQueued: number = Number.POSITIVE_INFINITY,
  ) {}

  /** Frames waiting for their turn. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Sends `text` now if the budget allows, else queues it behind earlier
   * frames, unless `maxQueued` frames already wait: then nothing is sent or
   * queued and it returns false.
   */
  offer(text: string, options: PacedFrameOptions = {}): boolean {
    if (this.maxPerSecond > 0 && this.queue.length >= this.maxQueued) {
      // A frame that would go out at once does not wait, so it fits even a bound of 0.
      if (this.queue.length > 0 || !this.hasBudget(Date.now())) return false;
    }
    this.write(text, options);
    return true;
  }

  /** Sends `text` now if the budget allows, else queues it behind earlier frames (never refused). */
  write(text: string, options: PacedFrameOptions = {}): void {
    if (this.maxPerSecond <= 0) {
      this.sink(text);
      options.onSent?.();
      return;
    }
    const { key, onSent } = options;
    if (key !== undefined) {
      const waiting = this.byKey.get(key);
      if (waiting) {
        waiting.text = text;
        waiting.onSent = onSent;
        return;
      }
    }
    const frame: QueuedFrame = { text, key, onSent };
    this.queue.push(frame);
    if (key !== undefined) this.byKey.set(key, frame);
    this.drain();
  }

  /** Drops what is queued and stops the timer (the connection ended). */
  clear(): void {
    this.queue.length = 0;
    this.byKey.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Forgets send times older than a second; true when one more frame fits in the window. */
  private hasBudget(now: number): boolean {
    while (this.times.length > 0 && now - this.times[0]! >= 1000) this.times.shift();
    return this.times.length < this.maxPerSecond;
  }

  private drain(): void {
    if (this.timer) return;
    while (this.queue.length > 0) {
      const now = Date.now();
      if (!this.hasBudget(now)) {
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
      const frame = this.queue.shift()!;
      if (frame.key !== undefined) this.byKey.delete(frame.key);
      this.sink(frame.text);
      frame.onSent?.();
    }
  }
}
