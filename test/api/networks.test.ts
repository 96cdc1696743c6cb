// Real bridges, namespaces, veths, iptables rules, DNS and port publishing through the network
// service, in the host namespace under test-only names; ends by proving nothing is left behind.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NetworkService,
  type ContainerDirectory,
} from '../../runtime-vm/daemon/services/networks/network-service';
import type { EndpointSettingsInput } from '../../runtime-vm/daemon/services/networks/network-model';
import { EventBus, type EngineEvent } from '../../runtime-vm/daemon/services/events';
import { bridgeMac } from '../../runtime-vm/daemon/drivers/network/links';
import {
  inNamespace,
  ownedBy,
  run,
  snapshotHostNetwork,
  uniqueTag,
  type HostNetworkSnapshot,
} from './helpers/netns';

const tag = uniqueTag();
const chainPrefix = `BT${tag.toUpperCase()}`;
const defaultBridge = `bt${tag}0`;
const namespacePrefix = `bt${tag}-`;
const markers = [chainPrefix, defaultBridge, namespacePrefix];

function containerId(): string {
  return randomBytes(32).toString('hex');
}

/** The containers service stand-in: connect/disconnect only need names and a place to record. */
class FakeDirectory implements ContainerDirectory {
  readonly containers = new Map<string, { id: string; name: string; running: boolean }>();
  readonly recorded: { id: string; network: string; config: EndpointSettingsInput | null }[] = [];
  async find(ref: string) {
    return [...this.containers.values()].find((c) => c.id === ref || c.name === ref);
  }
  async recordEndpointConfig(id: string, network: string, config: EndpointSettingsInput | null) {
    this.recorded.push({ id, network, config });
  }
}

async function linksWithMaster(bridge: string): Promise<string[]> {
  const links = JSON.parse(await run('ip', ['-j', 'link', 'show', 'master', bridge])) as {
    ifname: string;
  }[];
  return links.map((link) => link.ifname);
}

/**
 * busybox nslookup's answer text (stdout, also when it exits non-zero). DNS runs over UDP, so a
 * query lost on a loaded machine is retried the way a resolver would.
 */
async function nslookup(namespace: string, name: string, server: string): Promise<string> {
  let output = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    output = await new Promise<string>((resolve) => {
      execFile(
        'ip',
        ['netns', 'exec', namespace, 'busybox', 'nslookup', name, server],
        { encoding: 'utf8', timeout: 10_000 },
        (error, stdout, stderr) =>
          resolve(error ? `${stdout}${stderr}(exit ${String(error.code)})` : stdout),
      );
    });
    if (!output.includes('timed out')) return output;
  }
  return output;
}

async function canPing(namespace: string, address: string): Promise<boolean> {
  try {
    await inNamespace(namespace, ['busybox', 'ping', '-c', '1', '-W', '1', address], 10_000);
    return true;
  } catch {
    return false;
  }
}

describe('network service on real kernel objects', () => {
  let dataRoot: string;
  let before: HostNetworkSnapshot;
  let service: NetworkService;
  const events: EngineEvent[] = [];
  const bus = new EventBus();
  bus.subscribe((event) => events.push(event));
  const directory = new FakeDirectory();
  const observedVeths = new Set<string>();
  const bridges = new Set<string>([defaultBridge]);
  const listeners: { kill(): void }[] = [];
  const ids = {
    a: containerId(),
    b: containerId(),
    c: containerId(),
    d: containerId(),
    e: containerId(),
  };

  const newService = () =>
    new NetworkService({
      dataRoot,
      events: bus,
      chainPrefix,
      defaultBridgeName: defaultBridge,
      namespacePrefix,
      // Unknown names must not leave the machine during tests (forwarding has a unit test).
      dnsUpstreams: [],
    });

  beforeAll(async () => {
    dataRoot = await mkdtemp(join(tmpdir(), 'berth-net-'));
    before = await snapshotHostNetwork();
    expect(ownedBy(before, markers)).toEqual({ links: [], namespaces: [], iptables: [] });
    service = newService();
    service.setContainerDirectory(directory);
    await service.start();
  });

  afterAll(async () => {
    for (const listener of listeners) listener.kill();
    for (const id of Object.values(ids)) await service.detach(id).catch(() => undefined);
    for (const network of service
      .list()
      .filter((n) => !['bridge', 'host', 'none'].includes(n.Name))) {
      await service.remove(network.Id).catch(() => undefined);
    }
    await service.shutdown();
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('creates bridge, host and none, with the default bridge and chains in the kernel', async () => {
    const names = service
      .list()
      .map((n) => n.Name)
      .sort();
    expect(names).toEqual(['bridge', 'host', 'none']);
    const bridge = service.inspect('bridge');
    expect(bridge.Driver).toBe('bridge');
    expect(bridge.Options['com.docker.network.bridge.name']).toBe(defaultBridge);
    expect(bridge.IPAM.Config[0]?.Subnet).toMatch(/^\d+\.\d+\.0\.0\/16$/);
    const routes = await run('ip', ['-j', 'route']);
    expect(routes).toContain(bridge.IPAM.Config[0]?.Subnet);
    const rules = await run('iptables-save', []);
    expect(rules).toContain(`-A FORWARD -j ${chainPrefix}-FORWARD`);
    expect(rules).toContain(`-A POSTROUTING -j ${chainPrefix}-POSTROUTING`);
    expect(rules).toContain(
      `-A ${chainPrefix}-POSTROUTING -s ${bridge.IPAM.Config[0]?.Subnet} ! -o ${defaultBridge} -j MASQUERADE`,
    );
  });

  it('validates create: duplicates, overlay, predefined removal, bad subnets', async () => {
    await expect(service.create({ Name: 'bridge' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(service.create({ Name: `o${tag}`, Driver: 'overlay' })).rejects.toThrow(
      'overlay networks are not supported on a single host: use a Kubernetes or Swarm cluster',
    );
    await expect(service.remove('bridge')).rejects.toThrow(
      'bridge is a pre-defined network and cannot be removed',
    );
    await expect(service.remove('host')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      service.create({ Name: `bad${tag}`, IPAM: { Config: [{ Subnet: '10.1.2.3/24' }] } }),
    ).rejects.toThrow('host bits set');
    await expect(service.remove('nope-not-here')).rejects.toMatchObject({ code: 'not_found' });
  });

  let web: string;
  let webGateway: string;
  let other: string;

  it('creates user networks with subnet, gateway, ip-range, labels and internal', async () => {
    web = (
      await service.create({
        Name: `web${tag}`,
        Labels: { tier: 'front' },
        IPAM: {
          Config: [
            { Subnet: '10.213.0.0/24', Gateway: '10.213.0.254', IPRange: '10.213.0.128/25' },
          ],
        },
      })
    ).Id;
    const inspected = service.inspect(`web${tag}`);
    expect(inspected.IPAM.Config).toEqual([
      { Subnet: '10.213.0.0/24', Gateway: '10.213.0.254', IPRange: '10.213.0.128/25' },
    ]);
    expect(inspected.Labels).toEqual({ tier: 'front' });
    webGateway = '10.213.0.254';
    bridges.add(`br-${web.slice(0, 12)}`);
    expect(await run('ip', ['-j', 'addr', 'show', `br-${web.slice(0, 12)}`])).toContain(
      '10.213.0.254',
    );
    await expect(
      service.create({ Name: `clash${tag}`, IPAM: { Config: [{ Subnet: '10.213.0.0/16' }] } }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    other = (await service.create({ Name: `other${tag}` })).Id;
    bridges.add(`br-${other.slice(0, 12)}`);
    const picked = service.inspect(other).IPAM.Config[0]?.Subnet ?? '';
    expect(picked).not.toBe(service.inspect('bridge').IPAM.Config[0]?.Subnet);
    const internal = await service.create({ Name: `int${tag}`, Internal: true });
    bridges.add(`br-${internal.Id.slice(0, 12)}`);
    expect(service.inspect(internal.Id).Internal).toBe(true);
    expect(events.filter((e) => e.Type === 'network' && e.Action === 'create')).toHaveLength(3);
  });

  it('lists with filters', () => {
    const names = (filters: Record<string, string[]>) =>
      service
        .list(new Map(Object.entries(filters)))
        .map((n) => n.Name)
        .sort();
    expect(names({ label: ['tier=front'] })).toEqual([`web${tag}`]);
    expect(names({ type: ['builtin'] })).toEqual(['bridge', 'host', 'none']);
    expect(names({ driver: ['null'] })).toEqual(['none']);
    expect(names({ name: [`other${tag}`] })).toEqual([`other${tag}`]);
    expect(names({ id: [web.slice(0, 10)] })).toEqual([`web${tag}`]);
    expect(names({ dangling: ['true'], name: [tag] })).toEqual(
      [`int${tag}`, `other${tag}`, `web${tag}`].sort(),
    );
  });

  it('attaches containers with names and aliases that the embedded DNS resolves', async () => {
    directory.containers.set(ids.a, { id: ids.a, name: `alpha${tag}`, running: true });
    directory.containers.set(ids.b, { id: ids.b, name: `beta${tag}`, running: true });
    const a = await service.attach(ids.a, `/alpha${tag}`, `web${tag}`, {
      [`web${tag}`]: { Aliases: ['db'] },
    });
    const b = await service.attach(ids.b, `beta${tag}`, `web${tag}`, {
      [`web${tag}`]: { IPAMConfig: { IPv4Address: '10.213.0.77' } },
    });
    expect(a.netns).toEqual({
      kind: 'path',
      path: `/var/run/netns/${namespacePrefix}${ids.a.slice(0, 12)}`,
    });
    const aIp = a.endpoints[`web${tag}`]?.IPAddress;
    expect(aIp).toBe('10.213.0.128');
    expect(b.endpoints[`web${tag}`]?.IPAddress).toBe('10.213.0.77');
    expect(b.endpoints[`web${tag}`]?.Gateway).toBe(webGateway);
    expect(a.dnsServers).toEqual([webGateway]);
    expect(a.endpoints[`web${tag}`]?.DNSNames).toEqual([`alpha${tag}`, 'db', ids.a.slice(0, 12)]);
    for (const veth of await linksWithMaster(`br-${web.slice(0, 12)}`)) observedVeths.add(veth);
    expect(observedVeths.size).toBe(2);

    const nsB = `${namespacePrefix}${ids.b.slice(0, 12)}`;
    expect(await nslookup(nsB, `alpha${tag}`, webGateway)).toContain(aIp);
    expect(await nslookup(nsB, 'db', webGateway)).toContain(aIp);
    expect(await nslookup(nsB, ids.a.slice(0, 12), webGateway)).toContain(aIp);
    expect(await nslookup(nsB, `nobody${tag}.invalid`, webGateway)).not.toContain(aIp);
    expect(await canPing(nsB, aIp as string)).toBe(true);
    const inspected = service.inspect(`web${tag}`);
    expect(inspected.Containers[ids.a]).toMatchObject({
      Name: `alpha${tag}`,
      IPv4Address: `${aIp}/24`,
    });
    await expect(service.remove(web)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('isolates bridge networks from each other', async () => {
    directory.containers.set(ids.c, { id: ids.c, name: `gamma${tag}`, running: true });
    const c = await service.attach(ids.c, `gamma${tag}`, `other${tag}`, null);
    for (const veth of await linksWithMaster(`br-${other.slice(0, 12)}`)) observedVeths.add(veth);
    const nsC = `${namespacePrefix}${ids.c.slice(0, 12)}`;
    expect(await canPing(nsC, c.endpoints[`other${tag}`]?.Gateway as string)).toBe(true);
    expect(await canPing(nsC, '10.213.0.128')).toBe(false);
    // Names on another network do not resolve.
    const otherGateway = c.endpoints[`other${tag}`]?.Gateway as string;
    expect(await nslookup(nsC, `alpha${tag}`, otherGateway)).not.toContain('10.213.0.128');
  });

  it('connects and disconnects a running container live', async () => {
    await service.connect(`web${tag}`, `gamma${tag}`, { Aliases: ['cache'] });
    // New ports never change the gateway's MAC under the other containers' ARP caches.
    const [bridgeLink] = JSON.parse(
      await run('ip', ['-j', 'link', 'show', `br-${web.slice(0, 12)}`]),
    ) as {
      address: string;
    }[];
    expect(bridgeLink?.address).toBe(bridgeMac(`br-${web.slice(0, 12)}`));
    const nsC = `${namespacePrefix}${ids.c.slice(0, 12)}`;
    expect(await run('ip', ['-n', nsC, '-br', 'link'])).toContain('eth1');
    const ip = service.endpointsOf(ids.c)[`web${tag}`]?.IPAddress as string;
    expect(
      await nslookup(`${namespacePrefix}${ids.b.slice(0, 12)}`, 'cache', webGateway),
    ).toContain(ip);
    expect(directory.recorded.at(-1)).toMatchObject({ id: ids.c, network: `web${tag}` });
    await service.disconnect(`web${tag}`, ids.c);
    expect(await run('ip', ['-n', nsC, '-br', 'link'])).not.toContain('eth1');
    expect(service.inspect(web).Containers[ids.c]).toBeUndefined();
    await expect(service.disconnect(`web${tag}`, ids.c)).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('publishes TCP and UDP ports reachable from 127.0.0.1', async () => {
    const nsA = `${namespacePrefix}${ids.a.slice(0, 12)}`;
    const www = join(dataRoot, 'www');
    await run('mkdir', ['-p', www]);
    await writeFile(join(www, 'index.html'), `hello ${tag}\n`);
    const { spawn } = await import('node:child_process');
    const httpd = spawn(
      'ip',
      ['netns', 'exec', nsA, 'busybox', 'httpd', '-f', '-p', '80', '-h', www],
      { stdio: 'ignore' },
    );
    listeners.push(httpd);
    const udpEcho = spawn(
      'ip',
      [
        'netns',
        'exec',
        nsA,
        process.execPath,
        '-e',
        "const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(Buffer.concat([Buffer.from('echo:'),m]),r.port,r.address));s.bind(53)",
      ],
      { stdio: 'ignore' },
    );
    listeners.push(udpEcho);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ports = await service.publishPorts(
      ids.a,
      {
        '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
        '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      },
      { '80/tcp': {}, '53/udp': {}, '9999/tcp': {} },
    );
    expect(ports['9999/tcp']).toBeNull();
    const tcpPort = Number(ports['80/tcp']?.[0]?.HostPort);
    expect(tcpPort).toBeGreaterThan(0);
    const response = await fetch(`http://127.0.0.1:${tcpPort}/index.html`);
    expect(await response.text()).toBe(`hello ${tag}\n`);
    const udpPort = Number(ports['53/udp']?.[0]?.HostPort);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = createSocket('udp4');
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error('no UDP reply'));
      }, 5000);
      socket.on('message', (message) => {
        clearTimeout(timer);
        socket.close();
        resolve(message.toString());
      });
      socket.send('ping', udpPort, '127.0.0.1');
    });
    expect(reply).toBe('echo:ping');
    expect(service.portsOf(ids.a)['80/tcp']).toEqual([
      { HostIp: '127.0.0.1', HostPort: String(tcpPort) },
    ]);
    // No host IP: one dual-stack socket, reported for both families; a range takes a free port.
    const ranged = await service.publishPorts(
      ids.b,
      { '81/tcp': [{ HostIp: '', HostPort: '41000-41010' }] },
      {},
    );
    const [v4, v6] = ranged['81/tcp'] ?? [];
    expect(v4?.HostIp).toBe('0.0.0.0');
    expect(v6).toEqual({ HostIp: '::', HostPort: v4?.HostPort });
    expect(Number(v4?.HostPort)).toBeGreaterThanOrEqual(41000);
    expect(Number(v4?.HostPort)).toBeLessThanOrEqual(41010);
    await service.release(ids.b);
    // A taken fixed port is a clear conflict.
    await expect(
      service.publishPorts(
        ids.b,
        { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(tcpPort) }] },
        {},
      ),
    ).rejects.toThrow(`Bind for 127.0.0.1:${tcpPort} failed: port is already allocated`);
  });

  it('comes back intact after a restart: networks, DNS and the same published ports', async () => {
    const portBefore = service.portsOf(ids.a)['80/tcp']?.[0]?.HostPort;
    await service.shutdown();
    // Attached containers outlive the daemon: their network's rules stay for them meanwhile.
    const whileDown = await run('iptables-save', []);
    expect(whileDown).toContain(
      `-A ${chainPrefix}-FORWARD -i br-${web.slice(0, 12)} ! -o br-${web.slice(0, 12)} -j ACCEPT`,
    );
    service = newService();
    service.setContainerDirectory(directory);
    await service.start();
    expect(service.inspect(`web${tag}`).Containers[ids.a]?.Name).toBe(`alpha${tag}`);
    expect(service.portsOf(ids.a)['80/tcp']?.[0]?.HostPort).toBe(portBefore);
    const response = await fetch(`http://127.0.0.1:${portBefore}/index.html`);
    expect(await response.text()).toBe(`hello ${tag}\n`);
    expect(await nslookup(`${namespacePrefix}${ids.b.slice(0, 12)}`, 'db', webGateway)).toContain(
      '10.213.0.128',
    );
    expect(await run('iptables-save', [])).toContain(
      `-A ${chainPrefix}-FORWARD -i br-${web.slice(0, 12)} ! -o br-${web.slice(0, 12)} -j ACCEPT`,
    );
  });

  it('gives internal networks no way out, and host/none modes their namespaces', async () => {
    directory.containers.set(ids.d, { id: ids.d, name: `delta${tag}`, running: true });
    const d = await service.attach(ids.d, `delta${tag}`, `int${tag}`, null);
    const nsD = `${namespacePrefix}${ids.d.slice(0, 12)}`;
    expect(d.endpoints[`int${tag}`]?.Gateway).toBe('');
    expect(await run('ip', ['-n', nsD, 'route'])).not.toContain('default');
    const rules = await run('iptables-save', []);
    const internalBridge = [...bridges].find((b) => rules.includes(`-i ${b} ! -o ${b} -j DROP`));
    expect(internalBridge).toBeDefined();
    await service.detach(ids.d);
    const host = await service.attach(ids.d, `delta${tag}`, 'host', null);
    expect(host.netns).toEqual({ kind: 'host' });
    // none: runc makes the namespace (with loopback up); the service creates nothing.
    const none = await service.attach(ids.d, `delta${tag}`, 'none', null);
    expect(none.netns).toEqual({ kind: 'private' });
    expect(await run('ip', ['netns', 'list'])).not.toContain(nsD);
    expect(none.endpoints).toEqual({});
    await expect(service.connect(`web${tag}`, `delta${tag}`)).rejects.toThrow(
      'private (none) mode',
    );
    await service.detach(ids.d);
  });

  it("publishes on the network's host_binding_ipv4 when no host IP is given", async () => {
    const local = await service.create({
      Name: `loc${tag}`,
      Options: { 'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1' },
    });
    bridges.add(`br-${local.Id.slice(0, 12)}`);
    await service.attach(ids.e, `echo${tag}`, `loc${tag}`, null);
    const ports = await service.publishPorts(ids.e, { '80/tcp': [{ HostPort: '' }] }, {});
    expect(ports['80/tcp']).toEqual([
      { HostIp: '127.0.0.1', HostPort: expect.stringMatching(/^\d+$/) },
    ]);
    await service.detach(ids.e);
    await service.remove(local.Id);
  });

  it('releases ports on release and everything on detach, network removal and shutdown', async () => {
    const port = service.portsOf(ids.a)['80/tcp']?.[0]?.HostPort;
    await service.release(ids.a);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    for (const listener of listeners.splice(0)) listener.kill();
    for (const id of Object.values(ids)) await service.detach(id);
    expect(service.inspect(web).Containers).toEqual({});
    const pruned = await service.prune(new Map([['label', ['tier=front']]]));
    expect(pruned).toEqual([`web${tag}`]);
    expect((await service.prune()).sort()).toEqual([`int${tag}`, `other${tag}`].sort());
    expect(
      service
        .list()
        .map((n) => n.Name)
        .sort(),
    ).toEqual(['bridge', 'host', 'none']);
    await service.shutdown();
    const after = await snapshotHostNetwork();
    expect(ownedBy(after, [...markers, ...bridges])).toEqual({
      links: [],
      namespaces: [],
      iptables: [],
    });
    for (const veth of observedVeths) expect(after.links).not.toContain(veth);
    const newLinks = after.links.filter((link) => !before.links.includes(link));
    for (const link of newLinks)
      expect([...markers, ...bridges, ...observedVeths].some((m) => link.includes(m))).toBe(false);
    expect(
      after.iptables
        .filter((line) => !before.iptables.includes(line))
        .filter((l) => l.includes(chainPrefix)),
    ).toEqual([]);
    // Restart the service once more for afterAll, which must find nothing left to clean.
    service = newService();
    service.setContainerDirectory(directory);
    await service.start();
  });
});
