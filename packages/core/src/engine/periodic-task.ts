/** Options of {@link PeriodicTask}. */
export interface PeriodicTaskOptions {
  /** How often it runs, in ms; 0: never. */
  intervalMs: number;
  /** One run. */
  run(): Promise<unknown>;
  /** Where a failed run is reported (the task runs again at its next interval). */
  reportError(error: unknown): void;
}

/**
 * A background job of the node that runs on an interval (the expired join
 * purge): one run at a time, a failure reported and retried at the next
 * interval, and `stop` waits for the run in flight, so the node closes its
 * storage only after it.
 */
export class PeriodicTask {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;

  /** @param options - the interval, the job and where its failures go */
  constructor(private readonly options: PeriodicTaskOptions) {}

  /** Starts the interval (the first run comes one interval after). */
  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref?.();
  }

  /** Stops the interval and waits for the run in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.options
      .run()
      .then(
        () => undefined,
        (error: unknown) => this.options.reportError(error),
      )
      .finally(() => {
        this.running = undefined;
      });
  }
}
