// A running process's stdio as the attach and exec streams see it: conmon's attach socket
// (containers, terminal execs) or plain pipes (execs without a terminal).
import type { EventEmitter } from 'node:events';

export type OutputStream = 'stdout' | 'stderr';

export interface ProcessStdioEvents {
  output: [stream: OutputStream, data: Buffer];
  /** The process's output is over. */
  end: [];
  error: [error: Error];
}

export type ProcessStdio = EventEmitter<ProcessStdioEvents> & {
  /** Sends input to the process's stdin. */
  write(data: Buffer): Promise<void>;
  /** Closes the process's stdin (where the process's own rules allow it). */
  endInput(): void;
  /** Lets go of the process's stdio: its output from now on is dropped, the process runs on. */
  destroy(): void;
  /**
   * The client is behind: stop taking output until resume, so the process waits on its writes
   * (as with dockerd) instead of berthd holding what the client has not read.
   */
  pause(): void;
  resume(): void;
};
