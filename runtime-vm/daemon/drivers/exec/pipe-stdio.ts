// An exec's stdio as plain pipes (execs without a terminal run without conmon, see
// runtime-exec.ts). The output is over when both output pipes reach EOF, which, as with dockerd,
// is when the last process holding them (the exec, or a child it left in the background) ends.
//
// The pipes are read from the start: Node drains any stdio pipe nobody reads once the child exits,
// and a short exec is often over before its caller subscribes. What comes before that is held
// (past MAX_HELD_BYTES the pipes pause, and the process waits) and given out on subscription.
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { OutputStream, ProcessStdioEvents } from '../attach/process-stdio';

const MAX_HELD_BYTES = 1024 * 1024;

export class PipeStdio extends EventEmitter<ProcessStdioEvents> {
  private destroyed = false;
  private openOutputs = 2;
  /** Output waiting for a subscriber; undefined once there is one. */
  private held: Array<[OutputStream, Buffer]> | undefined = [];
  private heldBytes = 0;
  private ended = false;
  /** The consumer asked for a pause (its client is behind). */
  private paused = false;

  constructor(
    private readonly stdin: Writable | null,
    private readonly stdout: Readable,
    private readonly stderr: Readable,
  ) {
    super();
    // EPIPE once the process has closed its stdin or ended: its input is simply over.
    stdin?.on('error', () => undefined);
    this.read(stdout, 'stdout');
    this.read(stderr, 'stderr');
    (this as EventEmitter).on('newListener', (event: string) => {
      if (event === 'output' || event === 'end') queueMicrotask(() => this.release());
    });
  }

  write(data: Buffer): Promise<void> {
    const stdin = this.stdin;
    if (!stdin || this.destroyed || stdin.writableEnded) return Promise.resolve();
    return new Promise((resolve) => stdin.write(data, () => resolve()));
  }

  endInput(): void {
    if (!this.destroyed) this.stdin?.end();
  }

  pause(): void {
    if (this.destroyed) return;
    this.paused = true;
    this.stdout.pause();
    this.stderr.pause();
  }

  resume(): void {
    this.paused = false;
    // Output still held is released (and the pipes resumed) on subscription.
    if (this.destroyed || this.held) return;
    this.stdout.resume();
    this.stderr.resume();
  }

  /** The process runs on: its stdin closes, and its output is drained and dropped. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.held = undefined;
    this.stdin?.destroy();
    this.stdout.resume();
    this.stderr.resume();
  }

  private read(readable: Readable, stream: OutputStream): void {
    readable.on('data', (data: Buffer) => {
      if (this.destroyed) return;
      if (!this.held) {
        this.emit('output', stream, data);
        return;
      }
      this.held.push([stream, data]);
      this.heldBytes += data.length;
      if (this.heldBytes > MAX_HELD_BYTES) readable.pause();
    });
    readable.on('error', () => undefined);
    readable.once('close', () => {
      if (--this.openOutputs > 0) return;
      this.ended = true;
      if (!this.held && !this.destroyed) this.emit('end');
    });
  }

  private release(): void {
    const held = this.held;
    if (!held || this.destroyed) return;
    this.held = undefined;
    for (const [stream, data] of held) this.emit('output', stream, data);
    if (!this.paused) {
      this.stdout.resume();
      this.stderr.resume();
    }
    if (this.ended) this.emit('end');
  }
}
