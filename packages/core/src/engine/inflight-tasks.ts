/** Work `close()` must wait for (sends being stored and published, sync pages). */
export interface TaskTracker {
  /** Tracks a task until it settles; returns it. */
  track<T>(task: Promise<T>): Promise<T>;
}

/** The node's in-flight tasks, drained on close. */
export class InflightTasks implements TaskTracker {
  /** Tasks not settled yet. */
  private readonly tasks = new Set<Promise<unknown>>();

  /** {@inheritDoc TaskTracker.track} */
  track<T>(task: Promise<T>): Promise<T> {
    this.tasks.add(task);
    const forget = () => this.tasks.delete(task);
    task.then(forget, forget);
    return task;
  }

  /** Resolves once no task is in flight (including tasks started while waiting). */
  async drain(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }
}
