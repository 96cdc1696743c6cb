import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeAddresses,
  decodeQuery,
  encodeQuery,
  encodeResponse,
  RecordType,
} from './dns-packet';
import { EmbeddedDns, parseResolvConfNameservers, type DnsRecords } from './dns-server';

const records: DnsRecords = {
  lookup: (networkId, name) => {
    if (networkId !== 'net1') return [];
    if (name === 'web') return ['10.9.0.2'];
    return name === 'dual' ? ['10.9.0.3', 'fd00:9::3'] : [];
  },
  reverse: (networkId, address) =>
    networkId === 'net1' && address === '10.9.0.2' ? 'web.net1' : undefined,
  forwards: (networkId) => networkId !== 'internal',
  accepts: (_networkId, client) => client === '127.0.0.1',
};

/** A loopback stand-in for the host's resolver: answers every A query with 192.0.2.7. */
async function fakeUpstream(): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket('udp4');
  socket.on('message', (packet, peer) => {
    const query = decodeQuery(packet);
    const name = query.questions[0]?.name ?? '';
    socket.send(
      encodeResponse(query, 0, [{ name, type: RecordType.A, ttl: 5, address: '192.0.2.7' }]),
      peer.port,
      peer.address,
    );
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port };
}

const disposers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

describe('embedded DNS', () => {
  it('reads IPv4 nameservers from resolv.conf', () => {
    expect(
      parseResolvConfNameservers(
        '# c\nnameserver 10.0.0.53\nnameserver ::1\nsearch x\n nameserver 1.1.1.1',
      ),
    ).toEqual(['10.0.0.53', '1.1.1.1']);
  });

  it('answers known names, NOERROR-empty for their AAAA, and PTR', async () => {
    const dns = new EmbeddedDns(records, { upstreams: [] });
    const a = await dns.answer('net1', encodeQuery(1, 'WEB.', RecordType.A));
    expect(decodeAddresses(a as Buffer)).toEqual({ rcode: 0, addresses: ['10.9.0.2'] });
    const aaaa = await dns.answer('net1', encodeQuery(2, 'web', RecordType.AAAA));
    expect(decodeAddresses(aaaa as Buffer)).toEqual({ rcode: 0, addresses: [] });
    const ptr = await dns.answer('net1', encodeQuery(3, '2.0.9.10.in-addr.arpa', RecordType.PTR));
    expect((ptr as Buffer).readUInt16BE(6)).toBe(1);
    expect(await dns.answer('net1', Buffer.from([1, 2]))).toBeUndefined();
  });

  it('answers AAAA with the IPv6 address of a dual-stack endpoint, A with the IPv4 one', async () => {
    const dns = new EmbeddedDns(records, { upstreams: [] });
    const aaaa = await dns.answer('net1', encodeQuery(4, 'dual', RecordType.AAAA));
    expect(decodeAddresses(aaaa as Buffer)).toEqual({ rcode: 0, addresses: ['fd00:9::3'] });
    const a = await dns.answer('net1', encodeQuery(5, 'dual', RecordType.A));
    expect(decodeAddresses(a as Buffer)).toEqual({ rcode: 0, addresses: ['10.9.0.3'] });
  });

  it('forwards unknown names upstream, but not for internal networks', async () => {
    const upstream = await fakeUpstream();
    disposers.push(() => new Promise<void>((resolve) => upstream.socket.close(() => resolve())));
    const dns = new EmbeddedDns(records, { upstreams: ['127.0.0.1'], upstreamPort: upstream.port });
    disposers.push(() => dns.closeAll());
    const forwarded = await dns.answer('net1', encodeQuery(4, 'example.test', RecordType.A));
    expect(decodeAddresses(forwarded as Buffer)).toEqual({ rcode: 0, addresses: ['192.0.2.7'] });
    const refused = await dns.answer('internal', encodeQuery(5, 'example.test', RecordType.A));
    expect(decodeAddresses(refused as Buffer).rcode).toBe(2);
  });

  it('serves UDP and TCP on the listening address and closes cleanly', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const dns = new EmbeddedDns(records, { port, upstreams: [] });
    await dns.listen('net1', '127.0.0.1');
    disposers.push(() => dns.closeAll());
    const client = createSocket('udp4');
    disposers.push(() => new Promise<void>((resolve) => client.close(() => resolve())));
    const udpReply = await new Promise<Buffer>((resolve) => {
      client.once('message', resolve);
      client.send(encodeQuery(6, 'web', RecordType.A), port, '127.0.0.1');
    });
    expect(decodeAddresses(udpReply).addresses).toEqual(['10.9.0.2']);
    const tcpReply = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        const query = encodeQuery(7, 'web', RecordType.A);
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(query.length);
        socket.write(Buffer.concat([prefix, query]));
      });
      let data = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
          socket.destroy();
          resolve(data.subarray(2));
        }
      });
      socket.on('error', reject);
    });
    expect(decodeAddresses(tcpReply).addresses).toEqual(['10.9.0.2']);
    // A client outside the network gets no answer at all.
    const stranger = createSocket('udp4');
    disposers.push(() => new Promise<void>((resolve) => stranger.close(() => resolve())));
    await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.2', resolve));
    const strangerReply = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('no answer'), 300);
      stranger.once('message', () => {
        clearTimeout(timer);
        resolve('answered');
      });
      stranger.send(encodeQuery(8, 'web', RecordType.A), port, '127.0.0.1');
    });
    expect(strangerReply).toBe('no answer');
    await dns.close('net1');
    expect(dns.isListening('net1')).toBe(false);
  });
});
