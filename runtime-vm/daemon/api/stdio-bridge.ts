// Joins a client's hijacked connection to a process's stdio (conmon's attach socket, or pipes),
// for container attach and exec start. Output goes out framed (no TTY) or raw (TTY, and
// websockets). Input goes in raw. Docker's rules, checked against dockerd 20.10:
// - detach keys are only watched with a TTY; without one they are ordinary input;
// - a client half-close without stdin attached is not a detach: output flows until the end;
// - the end of the attached client's stdin (EOF, detach or hang-up) closes a container's stdin
//   only for StdinOnce without a TTY, which then runs to its end with output still flowing;
//   otherwise the client's stream just ends and the container keeps its stdin for the next one;
// - an exec's stdin closes with its client's without a TTY; with one it stays open (closing the
//   terminal would lose output); either way output flows until the exec exits.
import type { OutputStream, ProcessStdio } from '../drivers/attach/process-stdio';
import type { HijackedConnection } from './hijack';
import { StreamType, frame } from './stream-framing';

export interface BridgeOptions {
  client: HijackedConnection;
  process: ProcessStdio;
  tty: boolean;
  /** 8-byte frames around output; default: without a TTY. Websocket attach never frames. */
  multiplex?: boolean;
  /** Which of the process's streams the client asked for. */
  streams: { stdin: boolean; stdout: boolean; stderr: boolean };
  /** The end of the client's stdin closes the process's stdin (exec stdin, attach StdinOnce). */
  closeStdinOnEof: boolean;
  /**
   * Container attach: with a TTY, the client's EOF ends its stream, as dockerd does. Without it
   * (exec), a TTY client's EOF changes nothing and output flows until the process exits.
   */
  keepTtyStdinOpen?: boolean;
  /** The key sequence that detaches the client (TTY only), e.g. ctrl-p ctrl-q; empty disables it. */
  detachKeys: Buffer;
  /** Settles when the process's end is recorded (exit code saved); the stream closes after. */
  finished?: Promise<unknown>;
}

export type BridgeEnd = 'exited' | 'detached' | 'input-ended' | 'client-gone';

const DEFAULT_DETACH_KEYS = Buffer.from([0x10, 0x11]); // ctrl-p, ctrl-q

/**
 * Parses Docker's detach key syntax: comma-separated `ctrl-<letter>`, `ctrl-@`, `ctrl-[`... or
 * single characters. An empty string keeps the default.
 */
export function parseDetachKeys(spec: string | undefined | null): Buffer {
  if (!spec) return DEFAULT_DETACH_KEYS;
  const bytes: number[] = [];
  for (const part of spec.split(',')) {
    const key = part.trim();
    const ctrl = /^ctrl-(.)$/i.exec(key);
    if (ctrl) {
      const char = ctrl[1]!;
      const code = /[a-z]/i.test(char)
        ? char.toLowerCase().charCodeAt(0) - 96
        : ({ '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 } as Record<string, number>)[char];
      if (code === undefined) throw new RangeError(`Unknown character: '${key}'`);
      bytes.push(code);
    } else if (key.length === 1) {
      bytes.push(key.charCodeAt(0));
    } else {
      throw new RangeError(`Unknown character: '${key}'`);
    }
  }
  return Buffer.from(bytes);
}

/** Finds the detach sequence across chunk boundaries. */
export class DetachKeyScanner {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  /**
   * Returns the bytes to forward and whether the sequence completed. Bytes that might start the
   * sequence are held back until it is clear they do not.
   */
  scan(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      if (this.matched > 0) {
        out.push(...this.keys.subarray(0, this.matched));
        this.matched = byte === this.keys[0] ? 1 : 0;
        if (this.matched === 1) continue;
      }
      out.push(byte);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

const streamTypes: Record<OutputStream, StreamType> = {
  stdout: StreamType.Stdout,
  stderr: StreamType.Stderr,
};

export function bridgeStdio(options: BridgeOptions): Promise<BridgeEnd> {
  const { client, process, tty, streams } = options;
  // Docker copies non-TTY stdin as is: ctrl-p ctrl-q are just bytes there.
  const scanner = new DetachKeyScanner(tty ? options.detachKeys : Buffer.alloc(0));
  const multiplex = options.multiplex ?? !tty;
  // A StdinOnce process's stdin closes with the client's: it sees EOF and can end. Never with a
  // TTY: conmon's stdin there is the terminal itself, and closing it drops the output not yet read.
  const closesStdin = streams.stdin && options.closeStdinOnEof && !tty;
  const output = client.output;
  const input = client.input;

  return new Promise<BridgeEnd>((resolve) => {
    let settled = false;
    let inputEnded = false;
    let waitingForDrain = false;
    const finish = (end: BridgeEnd) => {
      if (settled) return;
      settled = true;
      process.off('output', onOutput);
      process.off('end', onProcessEnd);
      input.off('data', onInput);
      input.off('end', onInputEnd);
      output.off('close', onClientGone);
      output.off('error', onClientGone);
      output.off('drain', onDrain);
      if (end !== 'exited') {
        if (closesStdin && !inputEnded) process.endInput();
        process.destroy();
      }
      client.close();
      resolve(end);
    };
    const onOutput = (stream: OutputStream, data: Buffer) => {
      if (!streams[stream] && !tty) return;
      // With a TTY, conmon reports everything as stdout; it goes out raw.
      const accepted = output.write(multiplex ? frame(streamTypes[stream], data) : data);
      // A client that reads slowly (`docker exec c pg_dump | gzip`) slows the process down, as
      // with dockerd, instead of its output piling up in berthd's memory.
      if (!accepted && !waitingForDrain) {
        waitingForDrain = true;
        process.pause();
        output.once('drain', onDrain);
      }
    };
    const onDrain = () => {
      waitingForDrain = false;
      process.resume();
    };
    const onProcessEnd = () => {
      void Promise.resolve(options.finished)
        .catch(() => undefined)
        .then(() => finish('exited'));
    };
    const onInput = (chunk: Buffer) => {
      if (!streams.stdin) return;
      const { forward, detach } = scanner.scan(chunk);
      if (forward.length) void process.write(forward);
      if (detach) finish('detached');
    };
    const onInputEnd = () => {
      if (!streams.stdin) return;
      if (closesStdin) {
        inputEnded = true;
        process.endInput();
        return;
      }
      // An exec's terminal input ending is not its end: output flows until it exits.
      if (tty && options.keepTtyStdinOpen !== true) return;
      finish('input-ended');
    };
    const onClientGone = () => {
      // The upgraded socket emits close after we end it ourselves; only a real hang-up counts.
      if (!settled) finish('client-gone');
    };
    process.on('output', onOutput);
    process.on('end', onProcessEnd);
    input.on('data', onInput);
    input.on('end', onInputEnd);
    // Only the output side tells whether the client is still there: without an upgrade the input
    // is an already-ended placeholder, and with one it is the same socket as the output.
    output.on('close', onClientGone);
    output.on('error', onClientGone);
    // The client may have left while the process was being reached: no close event will come.
    if (output.destroyed) onClientGone();
  });
}
