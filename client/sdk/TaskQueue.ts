/**
 * Runs async tasks one at a time in arrival order: one SDP negotiation at a time per
 * transport, as the server requires. A failed task does not stop the ones after it.
 */
export class TaskQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
