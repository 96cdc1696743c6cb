// A TCP listener in the guest that pipes each connection to a local endpoint: berthd's unix
// socket (the engine API the host reaches through QEMU's hostfwd), or a loopback port that a
// container published on 127.0.0.1 (hostfwd delivers to the guest's eth0 address, not loopback).
import { connect, createServer, type NetConnectOpts, type Server, type Socket } from 'node:net';

export class TcpRelay {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(private readonly target: NetConnectOpts) {
    // allowHalfOpen: `docker run` ends stdin and still reads the output, so an end passes through
    // as an end, never as a close.
    this.server = createServer({ allowHalfOpen: true }, (client) => this.pipe(client));
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  private pipe(client: Socket): void {
    const upstream = connect({ ...this.target, allowHalfOpen: true });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.once('error', drop);
    upstream.once('error', drop);
    client.once('close', drop);
    upstream.once('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
