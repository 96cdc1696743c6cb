// A JSON-lines progress response whose status is decided by the first message: errors thrown
// before it become a proper HTTP status, errors after it travel in-band (as moby does).
import type { ServerResponse } from 'node:http';
import { writeJsonLine } from './respond';

export class ProgressStream {
  private started = false;

  constructor(private readonly res: ServerResponse) {}

  get hasStarted(): boolean {
    return this.started;
  }

  /** Flushes the headers (if not yet) so clients see the stream at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, { 'Content-Type': 'application/json' });
    this.res.flushHeaders();
  }

  readonly write = (message: object): void => {
    this.start();
    writeJsonLine(this.res, message);
  };

  end(): void {
    this.start();
    if (!this.res.writableEnded) this.res.end();
  }
}
