// The embedded DNS for user-defined networks. runc joins a namespace berthd made, and Node cannot
// enter namespaces to bind Docker's 127.0.0.11, so the resolver listens on each network's gateway
// address (UDP and TCP port 53) in the host namespace and containers get that address as their
// nameserver. Which network a query belongs to is known from the local address it arrived on.
// Names berthd knows are answered directly; everything else goes to the host's resolvers.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import {
  decodeQuery,
  encodeResponse,
  RecordType,
  ResponseCode,
  reverseNameToAddress,
  type DnsAnswer,
  type DnsQuery,
} from './dns-packet';

export interface DnsRecords {
  /** IPv4 addresses for a name on a network; empty when unknown. */
  lookup(networkId: string, name: string): string[];
  /** The name for an address on a network (PTR). */
  reverse(networkId: string, address: string): string | undefined;
  /** Whether unknown names may be forwarded (false for internal networks). */
  forwards(networkId: string): boolean;
  /**
   * Whether a client may ask this network's resolver: the gateway is reachable from other
   * networks too (INPUT is not isolated), and their containers must not learn these names.
   */
  accepts(networkId: string, clientAddress: string): boolean;
}

export interface DnsServerOptions {
  port?: number;
  upstreams?: string[];
  /** Port of the upstream resolvers (53; tests use a loopback fake elsewhere). */
  upstreamPort?: number;
  upstreamTimeoutMs?: number;
}

const answerTtl = 600;

/** Nameservers from a resolv.conf text; IPv4 ones only, since we forward over UDP4/TCP. */
export function parseResolvConfNameservers(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    if (match && /^\d+\.\d+\.\d+\.\d+$/.test(match[1] as string)) servers.push(match[1] as string);
  }
  return servers;
}

export function hostNameservers(path = '/etc/resolv.conf'): string[] {
  try {
    return parseResolvConfNameservers(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

interface Listener {
  udp: UdpSocket;
  tcp: Server;
  connections: Set<Socket>;
}

export class EmbeddedDns {
  private readonly listeners = new Map<string, Listener>();
  private readonly pending = new Set<UdpSocket | Socket>();
  private readonly port: number;
  private readonly upstreams: string[];
  private readonly upstreamPort: number;
  private readonly upstreamTimeoutMs: number;

  constructor(
    private readonly records: DnsRecords,
    options: DnsServerOptions = {},
  ) {
    this.port = options.port ?? 53;
    this.upstreams = options.upstreams ?? hostNameservers();
    this.upstreamPort = options.upstreamPort ?? 53;
    this.upstreamTimeoutMs = options.upstreamTimeoutMs ?? 4000;
  }

  isListening(networkId: string): boolean {
    return this.listeners.has(networkId);
  }

  async listen(networkId: string, address: string): Promise<void> {
    if (this.listeners.has(networkId)) return;
    const udp = createSocket({ type: 'udp4' });
    const connections = new Set<Socket>();
    const tcp = createServer((socket) => {
      if (!this.records.accepts(networkId, socket.remoteAddress ?? '')) {
        socket.destroy();
        return;
      }
      this.serveTcp(networkId, socket, connections);
    });
    udp.on('message', (packet, peer) => {
      if (!this.records.accepts(networkId, peer.address)) return;
      void this.answer(networkId, packet).then((reply) => {
        if (reply) udp.send(reply, peer.port, peer.address);
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.port, address, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.port, address, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      udp.close();
      tcp.close();
      throw error;
    }
    udp.on('error', () => undefined);
    this.listeners.set(networkId, { udp, tcp, connections });
  }

  async close(networkId: string): Promise<void> {
    const listener = this.listeners.get(networkId);
    if (!listener) return;
    this.listeners.delete(networkId);
    for (const socket of listener.connections) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => listener.udp.close(() => resolve())),
      new Promise<void>((resolve) => listener.tcp.close(() => resolve())),
    ]);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((id) => this.close(id)));
    for (const socket of this.pending) {
      if ('destroy' in socket) socket.destroy();
      else socket.close();
    }
    this.pending.clear();
  }

  private serveTcp(networkId: string, socket: Socket, connections: Set<Socket>): void {
    connections.add(socket);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => connections.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const packet = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        void this.answer(networkId, packet, 'tcp').then((reply) => {
          if (!reply || socket.destroyed) return;
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(reply.length, 0);
          socket.write(Buffer.concat([prefix, reply]));
        });
      }
    });
  }

  /** The reply for one query packet; undefined when the packet is garbage (dropped, like dockerd). */
  async answer(
    networkId: string,
    packet: Buffer,
    transport: 'udp' | 'tcp' = 'udp',
  ): Promise<Buffer | undefined> {
    let query: DnsQuery;
    try {
      query = decodeQuery(packet);
    } catch {
      return undefined;
    }
    const question = query.questions[0];
    if (query.questions.length !== 1 || !question) {
      return encodeResponse(query, ResponseCode.formatError, []);
    }
    const name = question.name.replace(/\.$/, '').toLowerCase();
    if (question.type === RecordType.A || question.type === RecordType.AAAA) {
      const addresses = this.records.lookup(networkId, name);
      if (addresses.length > 0) {
        // A known name without an address of the asked family gets an empty NOERROR, which
        // stops the client from asking upstream.
        const wantsIpv6 = question.type === RecordType.AAAA;
        const answers: DnsAnswer[] = addresses
          .filter((address) => address.includes(':') === wantsIpv6)
          .map((address) => ({
            name: question.name,
            type: wantsIpv6 ? RecordType.AAAA : RecordType.A,
            ttl: answerTtl,
            address,
          }));
        return encodeResponse(query, ResponseCode.noError, answers);
      }
    }
    if (question.type === RecordType.PTR) {
      const address = reverseNameToAddress(name);
      const target = address ? this.records.reverse(networkId, address) : undefined;
      if (target) {
        return encodeResponse(query, ResponseCode.noError, [
          { name: question.name, type: RecordType.PTR, ttl: answerTtl, target },
        ]);
      }
    }
    if (!this.records.forwards(networkId) || this.upstreams.length === 0) {
      return encodeResponse(query, ResponseCode.serverFailure, []);
    }
    for (const upstream of this.upstreams) {
      try {
        return transport === 'udp'
          ? await this.forwardUdp(upstream, packet)
          : await this.forwardTcp(upstream, packet);
      } catch {
        // Next upstream; SERVFAIL once all failed.
      }
    }
    return encodeResponse(query, ResponseCode.serverFailure, []);
  }

  private forwardUdp(upstream: string, packet: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      this.pending.add(socket);
      const finish = (error: Error | undefined, reply?: Buffer) => {
        clearTimeout(timer);
        this.pending.delete(socket);
        socket.close();
        if (error) reject(error);
        else resolve(reply as Buffer);
      };
      const timer = setTimeout(
        () => finish(new Error(`upstream ${upstream} timed out`)),
        this.upstreamTimeoutMs,
      );
      socket.on('error', (error) => finish(error));
      socket.on('message', (reply) => {
        if (reply.length >= 2 && reply.readUInt16BE(0) === packet.readUInt16BE(0))
          finish(undefined, reply);
      });
      socket.send(packet, this.upstreamPort, upstream);
    });
  }

  private forwardTcp(upstream: string, packet: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: upstream, port: this.upstreamPort });
      this.pending.add(socket);
      let buffered = Buffer.alloc(0);
      const finish = (error: Error | undefined, reply?: Buffer) => {
        this.pending.delete(socket);
        socket.destroy();
        if (error) reject(error);
        else resolve(reply as Buffer);
      };
      socket.setTimeout(this.upstreamTimeoutMs, () =>
        finish(new Error(`upstream ${upstream} timed out`)),
      );
      socket.on('error', (error) => finish(error));
      socket.on('connect', () => {
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(packet.length, 0);
        socket.write(Buffer.concat([prefix, packet]));
      });
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          finish(undefined, buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        }
      });
      socket.on('end', () => finish(new Error(`upstream ${upstream} closed the connection`)));
    });
  }
}
