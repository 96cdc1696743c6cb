// Published ports through DNAT, proven with traffic between namespaces the test makes: a "host"
// namespace (the service runs its links and iptables there) and a "client" namespace wired to
// it. A server in the container namespace answers with the peer address it sees, which must be
// the client's own address. Also: loopback and hairpin without the userland proxy
// (route_localnet), and rules that outlive a daemon shutdown while a container still runs and
// are rebuilt exactly once by the next start.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkService } from '../../runtime-vm/daemon/services/networks/network-service';
import {
  createTestNamespace,
  deleteTestNamespace,
  inNamespace,
  iptablesRules,
  run,
  snapshotHostNetwork,
  uniqueTag,
  linkNamespaces,
} from './helpers/netns';

const tag = uniqueTag();
const hostNs = `bt${tag}-dnhost`;
const clientNs = `bt${tag}-dncli`;
const namespacePrefix = `bt${tag}-d-`;
const hostAddress = '198.51.100.1';
const clientAddress = '198.51.100.2';
const chainPrefix = 'BERTH';

/** A TCP server inside a namespace that writes the peer's address and closes. */
function peerEchoServer(namespace: string, port: number): Promise<ChildProcess> {
  const script =
    "require('net').createServer((s) => s.end(s.remoteAddress + '\\n'))" +
    `.listen(${port}, '0.0.0.0', () => console.log('ready'))`;
  const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
    child.stdout?.once('data', () => resolve(child));
  });
}

function stopServer(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** What the server answered to a connection from `namespace` to address:port. */
async function peerSeenFrom(namespace: string, address: string, port: number): Promise<string> {
  const out = await inNamespace(
    namespace,
    ['busybox', 'nc', '-w', '3', address, String(port)],
    10_000,
  );
  return out.trim().replace(/^::ffff:/, '');
}

async function ownedRules(): Promise<string[]> {
  return (await iptablesRules(hostNs)).filter(
    (line) => line.includes(chainPrefix) || line.includes('DNAT') || line.includes('MASQUERADE'),
  );
}

describe('published ports through DNAT, between namespaces', () => {
  let dataRoot: string;
  let service: NetworkService | undefined;
  let server: ChildProcess | undefined;
  const id = randomBytes(32).toString('hex');
  const containerNs = `${namespacePrefix}${id.slice(0, 12)}`;

  const startService = async (userlandProxy: boolean) => {
    service = new NetworkService({
      dataRoot,
      hostNamespace: hostNs,
      namespacePrefix,
      chainPrefix,
      defaultBridgeName: 'berth0',
      userlandProxy,
    });
    await service.start();
    return service;
  };

  beforeAll(async () => {
    dataRoot = await mkdtemp(join(tmpdir(), 'berth-dnat-'));
    await createTestNamespace(hostNs);
    await createTestNamespace(clientNs);
    await linkNamespaces(hostNs, `${hostAddress}/24`, clientNs, `${clientAddress}/24`);
  });

  afterAll(async () => {
    await stopServer(server);
    if (service) {
      await service.detach(id).catch(() => undefined);
      await service.remove('pub').catch(() => undefined);
      await service.shutdown().catch(() => undefined);
    }
    await deleteTestNamespace(containerNs);
    await deleteTestNamespace(hostNs);
    await deleteTestNamespace(clientNs);
    await rm(dataRoot, { recursive: true, force: true });
    const namespaces = (await snapshotHostNetwork()).namespaces;
    expect(namespaces.filter((name) => name.includes(`bt${tag}`))).toEqual([]);
  });

  it('lets the container see the client address, and keeps serving across a restart', async () => {
    const s = await startService(true);
    await s.create({ Name: 'pub', IPAM: { Config: [{ Subnet: '10.219.0.0/24' }] } });
    await s.attach(id, 'pub-c', 'pub', null);
    server = await peerEchoServer(containerNs, 8000);
    const ports = await s.publishPorts(id, { '8000/tcp': [{ HostPort: '' }] }, {});
    const hostPort = Number(ports['8000/tcp']?.[0]?.HostPort);
    expect(hostPort).toBeGreaterThan(0);
    expect(await peerSeenFrom(clientNs, hostAddress, hostPort)).toBe(clientAddress);

    // Shutdown while the container runs: its rules stay and traffic keeps flowing.
    await s.shutdown();
    service = undefined;
    const kept = await ownedRules();
    expect(kept.filter((line) => line.includes(`--to-destination 10.219.0.2:8000`))).toHaveLength(
      1,
    );
    expect(await peerSeenFrom(clientNs, hostAddress, hostPort)).toBe(clientAddress);

    // The next start swaps in the same rules, each once, and the port keeps its number.
    const restarted = await startService(true);
    const rebuilt = await ownedRules();
    for (const line of kept) expect(rebuilt.filter((rule) => rule === line)).toHaveLength(1);
    expect(restarted.portsOf(id)['8000/tcp']?.[0]?.HostPort).toBe(String(hostPort));
    expect(await peerSeenFrom(clientNs, hostAddress, hostPort)).toBe(clientAddress);

    // Released on stop: the DNAT rule goes, the network's own rules stay.
    await restarted.release(id);
    expect((await ownedRules()).filter((line) => line.includes('DNAT --to'))).toEqual([]);
  });

  it('without the userland proxy, DNATs loopback and hairpin traffic too', async () => {
    await service?.shutdown();
    const s = await startService(false);
    // A fresh endpoint: ports of containers attached without the proxy get hairpin mode.
    await stopServer(server);
    await s.attach(id, 'pub-c', 'pub', null);
    server = await peerEchoServer(containerNs, 8000);
    expect(
      (await inNamespace(hostNs, ['cat', `/proc/sys/net/ipv4/conf/berth0/route_localnet`])).trim(),
    ).toBe('1');
    const ports = await s.publishPorts(id, { '8000/tcp': [{ HostPort: '' }] }, {});
    const hostPort = Number(ports['8000/tcp']?.[0]?.HostPort);
    expect(await peerSeenFrom(clientNs, hostAddress, hostPort)).toBe(clientAddress);
    // From the host's own loopback: masqueraded onto the bridge, so the peer is the gateway.
    const gateway = s.endpointsOf(id)['pub']?.Gateway as string;
    expect(await peerSeenFrom(hostNs, '127.0.0.1', hostPort)).toBe(gateway);
    // The container reaching its own published port through the host address (hairpin).
    expect(await peerSeenFrom(containerNs, hostAddress, hostPort)).toBe(gateway);
    await s.release(id);
  });

  it('removes every rule and link once no container is left', async () => {
    const s = service as NetworkService;
    await stopServer(server);
    server = undefined;
    await s.detach(id);
    await s.remove('pub');
    await s.shutdown();
    service = undefined;
    expect(await ownedRules()).toEqual([]);
    const links = JSON.parse(await run('ip', ['-n', hostNs, '-j', 'link', 'show'])) as {
      ifname: string;
    }[];
    expect(links.map((link) => link.ifname).sort()).toEqual(['lo', 'up0']);
  });
});
