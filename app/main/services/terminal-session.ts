// One terminal session: a TTY exec (or the container's own TTY) whose output is kept in a bounded
// replay buffer, so the renderer can detach on a tab switch and re-attach to the same screen.
import { StringDecoder } from 'node:string_decoder';
import type { Duplex } from 'node:stream';
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
  private readonly listeners = new Set<(event: TerminalEvent) => void>();
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
    for (const listener of this.listeners) listener({ kind: 'data', data });
  }

  private exit(exitCode: number | null, reason?: string): void {
    this.info.exited = true;
    if (exitCode !== null) this.info.exitCode = exitCode;
    this.exitEvent = { kind: 'exit', exitCode, ...(reason ? { reason } : {}) };
    for (const listener of this.listeners) listener(this.exitEvent);
    this.listeners.clear();
  }

  /** Replays the buffer, then streams live output; returns the detach function. */
  attach(listener: (event: TerminalEvent) => void): () => void {
    const replay = this.chunks.join('');
    if (replay) listener({ kind: 'data', data: replay });
    if (this.exitEvent) {
      listener(this.exitEvent);
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
