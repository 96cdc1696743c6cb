// One terminal session: a TTY exec (or the container's own TTY) whose output is kept in a bounded
// replay buffer, so the renderer can detach on a tab switch and re-attach to the same screen.
import { StringDecoder } from 'node:string_decoder';
import type { Duplex } from 'node:stream';
import type { Backpressure } from '../../shared/contract';
import type { TerminalEvent, TerminalSessionInfo } from '../../shared/workbench-types';

/** Replay kept per session: enough for a few full screens of scrollback, bounded in memory. */
export const replayLimitChars = 256 * 1024;

export interface SessionBackend {
  stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  /** Exit code of the process once the stream ended (null when the engine does not know). */
  exitCode(): Promise<number | null>;
}

export class TerminalSession {
  private readonly chunks: string[] = [];
  private chars = 0;
  private readonly listeners = new Map<(event: TerminalEvent) => void, Backpressure | undefined>();
  /** Attachments whose renderer is behind: the engine stream stays paused while any is. */
  private readonly behind = new Set<Backpressure>();
  private readonly decoder = new StringDecoder('utf8');
  private exitEvent: Extract<TerminalEvent, { kind: 'exit' }> | undefined;

  constructor(
    readonly info: TerminalSessionInfo,
    private readonly backend: SessionBackend,
  ) {
    backend.stream.on('data', (chunk: Buffer) => this.output(this.decoder.write(chunk)));
    let ended = false;
    const finish = (reason?: string) => {
      if (ended) return;
      ended = true;
      const tail = this.decoder.end();
      if (tail) this.output(tail);
      backend.exitCode().then(
        (code) => this.exit(code, reason),
        () => this.exit(null, reason),
      );
    };
    backend.stream.on('end', () => finish());
    backend.stream.on('close', () => finish());
    backend.stream.on('error', (error: Error) => finish(error.message));
  }

  private output(data: string): void {
    if (!data) return;
    this.chunks.push(data);
    this.chars += data.length;
    while (this.chars > replayLimitChars && this.chunks.length > 1) {
      this.chars -= this.chunks.shift()!.length;
    }
    for (const [listener, backpressure] of this.listeners) {
      listener({ kind: 'data', data });
      if (backpressure?.congested) this.waitFor(backpressure);
    }
  }

  /**
   * A renderer is behind (xterm has not parsed what it was sent): stop reading the engine's
   * stream until it catches up. The engine, then the process, wait on their writes.
   */
  private waitFor(backpressure: Backpressure): void {
    if (this.behind.has(backpressure)) return;
    this.behind.add(backpressure);
    this.backend.stream.pause();
    void backpressure.drained().then(() => this.caughtUp(backpressure));
  }

  private caughtUp(backpressure: Backpressure): void {
    if (!this.behind.delete(backpressure)) return;
    if (this.behind.size === 0 && !this.exited) this.backend.stream.resume();
  }

  private exit(exitCode: number | null, reason?: string): void {
    this.info.exited = true;
    if (exitCode !== null) this.info.exitCode = exitCode;
    this.exitEvent = { kind: 'exit', exitCode, ...(reason ? { reason } : {}) };
    for (const listener of this.listeners.keys()) listener(this.exitEvent);
    this.listeners.clear();
  }

  /**
   * Replays the buffer, then streams live output; returns the detach function. With a
   * backpressure (main's dispatcher gives one per renderer call), a renderer that falls behind
   * pauses the engine stream until it catches up.
   */
  attach(listener: (event: TerminalEvent) => void, backpressure?: Backpressure): () => void {
    const replay = this.chunks.join('');
    if (replay) listener({ kind: 'data', data: replay });
    if (this.exitEvent) {
      listener(this.exitEvent);
      return () => undefined;
    }
    this.listeners.set(listener, backpressure);
    return () => {
      this.listeners.delete(listener);
      if (backpressure) this.caughtUp(backpressure);
    };
  }

  get exited(): boolean {
    return this.exitEvent !== undefined;
  }

  write(data: string): void {
    if (!this.exited) this.backend.stream.write(data);
  }

  resize(cols: number, rows: number): Promise<void> {
    return this.exited ? Promise.resolve() : this.backend.resize(cols, rows);
  }

  dispose(): void {
    this.listeners.clear();
    this.backend.stream.destroy();
  }
}
