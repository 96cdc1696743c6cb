// The agent's end of the control channel. Under QEMU it is a virtio-serial port (found by name
// in sysfs, since there is no udev to make /dev/virtio-ports links); under WSL2 the agent's own
// stdin/stdout; under vfkit a vsock port.
import { spawn } from 'node:child_process';
import { open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineSplitter, parseHostRequest, type GuestMessage, type HostRequest } from '../protocol';

export interface ControlChannel {
  send(message: GuestMessage): void;
  onRequest(listener: (request: HostRequest) => void): void;
  close(): Promise<void>;
}

const MAX_QUEUED = 256;

export async function findVirtioPort(name: string): Promise<string> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const entries = await readdir('/sys/class/virtio-ports').catch(() => [] as string[]);
    for (const entry of entries) {
      const portName = await readFile(`/sys/class/virtio-ports/${entry}/name`, 'utf8').catch(
        () => '',
      );
      if (portName.trim() === name) return `/dev/${entry}`;
    }
    await sleep(25);
  }
  throw new Error(
    `no virtio-serial port named ${name}: is virtio_console loaded and the port on the QEMU command line?`,
  );
}

/** A character device: reads block in the libuv pool; 0 bytes means the host is not connected. */
export class VirtioPortChannel implements ControlChannel {
  private readonly listeners: ((request: HostRequest) => void)[] = [];
  private readonly queue: string[] = [];
  private readonly early: HostRequest[] = [];
  private writing = false;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly log: (line: string) => void,
  ) {}

  static async open(path: string, log: (line: string) => void): Promise<VirtioPortChannel> {
    const channel = new VirtioPortChannel(await open(path, 'r+'), log);
    void channel.readLoop();
    return channel;
  }

  send(message: GuestMessage): void {
    if (this.closed) return;
    if (this.queue.length >= MAX_QUEUED) this.queue.shift();
    this.queue.push(JSON.stringify(message) + '\n');
    void this.flush();
  }

  onRequest(listener: (request: HostRequest) => void): void {
    this.listeners.push(listener);
    for (const request of this.early.splice(0)) listener(request);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.handle.close();
  }

  private async flush(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const line = this.queue[0] as string;
        try {
          await this.handle.write(line);
          this.queue.shift();
        } catch {
          // The host end is not connected yet (EPIPE/EAGAIN): keep the line and try again.
          await sleep(250);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async readLoop(): Promise<void> {
    const splitter = new LineSplitter();
    const buffer = Buffer.alloc(64 * 1024);
    while (!this.closed) {
      let bytes: number;
      try {
        ({ bytesRead: bytes } = await this.handle.read(buffer, 0, buffer.length, null));
      } catch (error) {
        if (this.closed) return;
        this.log(`control channel read failed: ${(error as Error).message}`);
        await sleep(250);
        continue;
      }
      if (bytes === 0) {
        await sleep(100);
        continue;
      }
      for (const line of splitter.push(buffer.toString('utf8', 0, bytes))) this.dispatch(line);
    }
  }

  private dispatch(line: string): void {
    try {
      const request = parseHostRequest(line);
      // The host may ask (mount a share) before the agent has registered its handler.
      if (this.listeners.length === 0) this.early.push(request);
      for (const listener of this.listeners) listener(request);
    } catch (error) {
      this.log((error as Error).message);
    }
  }
}

/**
 * A pair of byte streams as the channel: the agent's own stdin/stdout under WSL2 (wsl.exe pipes
 * them to the launcher), or a socat child bridging a vsock port under vfkit.
 */
export class StreamChannel implements ControlChannel {
  private readonly listeners: ((request: HostRequest) => void)[] = [];
  private readonly splitter = new LineSplitter();
  private readonly onData = (chunk: Buffer): void => {
    for (const line of this.splitter.push(chunk.toString('utf8'))) {
      try {
        const request = parseHostRequest(line);
        if (this.listeners.length === 0) this.early.push(request);
        for (const listener of this.listeners) listener(request);
      } catch (error) {
        this.log((error as Error).message);
      }
    }
  };
  private readonly early: HostRequest[] = [];

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly log: (line: string) => void,
  ) {
    input.on('data', this.onData);
  }

  send(message: GuestMessage): void {
    if (this.output.writable) this.output.write(JSON.stringify(message) + '\n');
  }

  onRequest(listener: (request: HostRequest) => void): void {
    this.listeners.push(listener);
    for (const request of this.early.splice(0)) listener(request);
  }

  async close(): Promise<void> {
    this.input.off('data', this.onData);
    this.input.pause();
  }
}

/** Listens on a vsock port through socat (Node has no AF_VSOCK); the host connects in. */
export function openVsockChannel(port: number, log: (line: string) => void): ControlChannel {
  const socat = spawn('socat', [`VSOCK-LISTEN:${port},reuseaddr`, 'STDIO'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  socat.once('exit', (code) => {
    // The host hung up: the launcher treats a lost channel as a VM to restart, and so does init.
    log(`vsock control channel closed (socat exit ${code}); exiting so the VM restarts`);
    process.exit(1);
  });
  return new StreamChannel(socat.stdout, socat.stdin, log);
}
