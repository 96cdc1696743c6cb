// berthd's API on the host: a unix socket (a named pipe path on Windows) whose connections are
// piped to the guest through the driver's connectEngine(). `docker -H unix://...` and dockerode
// use it like a local engine socket; half-closes pass through for attach and exec.
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export class EngineSocketRelay {
  private readonly server: Server;
  private readonly streams = new Set<Duplex>();

  constructor(
    private readonly path: string,
    private readonly connectEngine: () => Promise<Duplex>,
  ) {
    this.server = createServer({ allowHalfOpen: true }, (client) => this.pipe(client));
  }

  async listen(): Promise<void> {
    if (process.platform !== 'win32') rmSync(this.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.path, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  private pipe(client: Socket): void {
    this.streams.add(client);
    client.once('close', () => this.streams.delete(client));
    client.once('error', () => client.destroy());
    client.pause();
    this.connectEngine().then(
      (upstream) => {
        this.streams.add(upstream);
        const drop = (): void => {
          client.destroy();
          upstream.destroy();
          this.streams.delete(upstream);
        };
        upstream.once('error', drop);
        upstream.once('close', drop);
        client.once('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      },
      () => client.destroy(),
    );
  }

  async close(): Promise<void> {
    for (const stream of this.streams) stream.destroy();
    this.streams.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (process.platform !== 'win32') rmSync(this.path, { force: true });
  }
}
