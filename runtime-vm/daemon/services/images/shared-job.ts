// One piece of work that several requests wait for (two pulls sharing a layer). Each waiter sees
// the progress and may leave on its own; the work is aborted only when the last waiter has left,
// so one client hanging up never fails another client's pull.
export type ProgressListener = (message: object) => void;

export class SharedJob<T> {
  private readonly controller = new AbortController();
  private readonly listeners = new Set<ProgressListener>();
  private readonly result: Promise<T>;

  constructor(work: (signal: AbortSignal, onProgress: ProgressListener) => Promise<T>) {
    this.result = work(this.controller.signal, (message) => {
      for (const listener of this.listeners) listener(message);
    });
    // Waiters observe the outcome; this keeps a failure nobody waits for from being unhandled.
    this.result.catch(() => undefined);
  }

  /** Every waiter left and the work was aborted: a newcomer must start afresh. */
  get abandoned(): boolean {
    return this.controller.signal.aborted;
  }

  get waiters(): number {
    return this.listeners.size;
  }

  join(signal: AbortSignal | undefined, onProgress: ProgressListener): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    // A distinct function per waiter, so the same listener joining twice counts twice.
    const listener: ProgressListener = (message) => onProgress(message);
    this.listeners.add(listener);
    return new Promise<T>((resolve, reject) => {
      const leave = (): void => {
        this.listeners.delete(listener);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        leave();
        if (this.listeners.size === 0) this.controller.abort(abortReason(signal));
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.result.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new Error('aborted');
}
