// A tiny concurrency limiter: at most `limit` tasks run; the rest wait in FIFO order.
export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>, onWait?: () => void): Promise<T> {
    if (this.running >= this.limit) {
      onWait?.();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
