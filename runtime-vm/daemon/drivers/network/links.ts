// Kernel network objects through iproute2: bridges, veth pairs, macvlan links and network
// namespaces. `hostNamespace` runs the host-side commands inside another namespace, which lets
// tests build a whole "host" in a namespace of their own.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { runNetworkCommand, SerialQueue, type CommandRunner } from './command';
import { parseCidr, type Ipv4Cidr } from './ipv4';

export const netnsDirectory = '/var/run/netns';

interface IpJsonRoute {
  dst: string;
}

export interface EndpointInterface {
  /** Name inside the container namespace: eth0, eth1... */
  name: string;
  address: string;
  prefix: number;
  mac: string;
  /** Default route through this gateway; only the first network's endpoint gets one. */
  defaultGateway?: string;
  /** IPv6 on a dual-stack network: address, prefix and (first such endpoint only) route. */
  address6?: string;
  prefix6?: number;
  defaultGateway6?: string;
}

/** A stable, locally administered unicast MAC for a bridge, derived from its name. */
export function bridgeMac(name: string): string {
  const digest = createHash('sha256').update(name).digest();
  const bytes = [0x02, ...digest.subarray(0, 5)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export class Links {
  private readonly queue = new SerialQueue();

  constructor(
    private readonly hostNamespace?: string,
    private readonly run: CommandRunner = runNetworkCommand,
  ) {}

  private ip(args: string[]): Promise<string> {
    const scoped = this.hostNamespace ? ['-n', this.hostNamespace, ...args] : args;
    return this.queue.run(() => this.run('ip', scoped));
  }

  private ipIn(namespace: string, args: string[]): Promise<string> {
    return this.queue.run(() => this.run('ip', ['-n', namespace, ...args]));
  }

  /** Several commands in one `ip -batch` process: container start pays one spawn, not six. */
  private batch(namespace: string | undefined, commands: string[][]): Promise<string> {
    const scope = namespace ? ['-n', namespace] : [];
    const input = commands.map((command) => command.join(' ')).join('\n') + '\n';
    return this.queue.run(() => this.run('ip', [...scope, '-batch', '-'], input));
  }

  /**
   * Bridged containers reach the outside through the host's routing, which needs IPv4
   * forwarding (dockerd turns it on the same way; it is off by default on many hosts).
   */
  async enableForwarding(): Promise<void> {
    if (this.hostNamespace) {
      await this.run('ip', [
        'netns',
        'exec',
        this.hostNamespace,
        'sysctl',
        '-q',
        '-w',
        'net.ipv4.ip_forward=1',
      ]);
      return;
    }
    const path = '/proc/sys/net/ipv4/ip_forward';
    if ((await readFile(path, 'utf8')).trim() !== '1') await writeFile(path, '1\n');
  }

  /** Lets a bridge carry packets from 127.0.0.0/8 (DNATed loopback clients), as dockerd does. */
  async enableRouteLocalnet(bridge: string): Promise<void> {
    const key = `net.ipv4.conf.${bridge}.route_localnet=1`;
    if (this.hostNamespace) {
      await this.run('ip', ['netns', 'exec', this.hostNamespace, 'sysctl', '-q', '-w', key]);
      return;
    }
    await writeFile(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1\n');
  }

  /** IPv4 destinations of the host's routes, for subnet picking. */
  async hostRoutes(): Promise<Ipv4Cidr[]> {
    const routes = JSON.parse(
      (await this.ip(['-j', '-4', 'route', 'show'])) || '[]',
    ) as IpJsonRoute[];
    const result: Ipv4Cidr[] = [];
    for (const route of routes) {
      if (route.dst === 'default') continue;
      result.push(parseCidr(route.dst.includes('/') ? route.dst : `${route.dst}/32`));
    }
    return result;
  }

  async exists(name: string): Promise<boolean> {
    try {
      await this.ip(['link', 'show', 'dev', name]);
      return true;
    } catch (error) {
      if (/does not exist|Cannot find device/i.test((error as Error).message)) return false;
      throw error;
    }
  }

  /**
   * Creates (or adopts after a restart) a bridge holding the gateway address, and brings it up.
   * The bridge gets a fixed MAC: otherwise Linux gives it the lowest MAC among its ports, so
   * attaching a container could change the gateway's MAC under the others' ARP caches and drop
   * their traffic (DNS, published ports) until the entries expire.
   */
  async ensureBridge(name: string, gatewayCidr: string, mtu = 1500): Promise<void> {
    const mac = bridgeMac(name);
    if (await this.exists(name)) {
      await this.ip(['link', 'set', 'dev', name, 'address', mac, 'mtu', String(mtu)]);
    } else {
      await this.ip([
        'link',
        'add',
        'name',
        name,
        'address',
        mac,
        'mtu',
        String(mtu),
        'type',
        'bridge',
      ]);
    }
    await this.ip(['addr', 'replace', gatewayCidr, 'dev', name]);
    await this.ip(['link', 'set', 'dev', name, 'up']);
  }

  /** The IPv6 gateway of a dual-stack bridge; no duplicate address detection, as for veths. */
  async addBridgeAddress6(name: string, gatewayCidr: string): Promise<void> {
    await this.ip(['addr', 'replace', gatewayCidr, 'dev', name, 'nodad']);
  }

  async deleteLink(name: string): Promise<void> {
    if (await this.exists(name)) await this.ip(['link', 'delete', 'dev', name]);
  }

  /**
   * A fresh namespace; its path is what runc joins. Loopback comes up with the first endpoint's
   * batch, or here when the namespace gets no endpoint (--network none).
   */
  async createNamespace(name: string, loopbackNow = true): Promise<string> {
    try {
      await this.run('ip', ['netns', 'add', name]);
    } catch (error) {
      // Left by a crash: reuse it, whatever it holds is replaced by the endpoints we add.
      if (!/File exists/i.test((error as Error).message)) throw error;
    }
    if (loopbackNow) await this.ipIn(name, ['link', 'set', 'dev', 'lo', 'up']);
    return `${netnsDirectory}/${name}`;
  }

  async deleteNamespace(name: string): Promise<void> {
    try {
      await this.run('ip', ['netns', 'delete', name]);
    } catch (error) {
      if (!/No such file or directory/i.test((error as Error).message)) throw error;
    }
  }

  async listNamespaces(): Promise<string[]> {
    const out = await this.run('ip', ['-j', 'netns', 'list']);
    const entries = JSON.parse(out.trim() || '[]') as { name: string }[];
    return entries.map((entry) => entry.name);
  }

  /**
   * A veth pair: the host end joins `bridge`, the peer is created directly inside the container
   * namespace under its final name, so no temporary name is ever visible in the namespace.
   */
  async addVethEndpoint(
    bridge: string,
    namespace: string,
    iface: EndpointInterface,
    options: { hairpin?: boolean; createNamespace?: boolean } = {},
  ): Promise<string> {
    const hostEnd = `veth${randomBytes(4).toString('hex').slice(0, 7)}`;
    // Hairpin: with br_netfilter, a DNATed packet back to its sender is bridged out of the
    // port it came in on, which a bridge only does with hairpin mode (dockerd sets it too).
    const hairpinCommand = options.hairpin
      ? [['link', 'set', 'dev', hostEnd, 'type', 'bridge_slave', 'hairpin', 'on']]
      : [];
    // A new namespace is made in the same batch: one `ip` process fewer on the way to a start.
    // Not under `ip -n` (tests): its private mount namespace would hide the netns file's mount.
    let namespaceCommand: string[][] = [];
    if (options.createNamespace && this.hostNamespace) await this.createNamespace(namespace, false);
    else if (options.createNamespace) namespaceCommand = [['netns', 'add', namespace]];
    try {
      const hostCommands = () => [
        ...namespaceCommand,
        [
          'link',
          'add',
          'name',
          hostEnd,
          'type',
          'veth',
          'peer',
          'name',
          iface.name,
          'netns',
          namespace,
        ],
        ['link', 'set', 'dev', hostEnd, 'master', bridge, 'up'],
        ...hairpinCommand,
      ];
      try {
        await this.batch(this.hostNamespace, hostCommands());
      } catch (error) {
        // A namespace left by a crash stops the batch at its first line: reuse it.
        if (namespaceCommand.length === 0 || !/File exists/i.test((error as Error).message)) {
          throw error;
        }
        namespaceCommand = [];
        await this.batch(this.hostNamespace, hostCommands());
      }
      await this.configureInside(namespace, iface);
    } catch (error) {
      await this.deleteLink(hostEnd);
      throw error;
    }
    return hostEnd;
  }

  /** A macvlan child of `parent` placed in the container namespace (bridge mode, like Docker). */
  async addMacvlanEndpoint(
    parent: string,
    mode: string,
    namespace: string,
    iface: EndpointInterface,
  ): Promise<void> {
    const temporary = `mv${randomBytes(4).toString('hex').slice(0, 7)}`;
    await this.ip([
      'link',
      'add',
      'name',
      temporary,
      'link',
      parent,
      'type',
      'macvlan',
      'mode',
      mode,
    ]);
    try {
      await this.ip(['link', 'set', 'dev', temporary, 'netns', namespace]);
    } catch (error) {
      await this.deleteLink(temporary);
      throw error;
    }
    await this.ipIn(namespace, ['link', 'set', 'dev', temporary, 'name', iface.name]);
    await this.configureInside(namespace, iface);
  }

  private async configureInside(namespace: string, iface: EndpointInterface): Promise<void> {
    const commands = [
      ['link', 'set', 'dev', 'lo', 'up'],
      ['link', 'set', 'dev', iface.name, 'address', iface.mac],
      ['addr', 'add', `${iface.address}/${iface.prefix}`, 'dev', iface.name],
      ['link', 'set', 'dev', iface.name, 'up'],
    ];
    if (iface.defaultGateway) {
      commands.push(['route', 'replace', 'default', 'via', iface.defaultGateway]);
    }
    if (iface.address6) {
      // nodad: usable at once, as the kernel would otherwise hold it "tentative" for a second.
      commands.push([
        'addr',
        'add',
        `${iface.address6}/${iface.prefix6}`,
        'dev',
        iface.name,
        'nodad',
      ]);
    }
    if (iface.defaultGateway6) {
      commands.push(['route', 'replace', '::/0', 'via', iface.defaultGateway6]);
    }
    await this.batch(namespace, commands);
  }

  /** Removes one interface from a container namespace (disconnect); its veth peer dies with it. */
  async deleteInside(namespace: string, name: string): Promise<void> {
    await this.ipIn(namespace, ['link', 'delete', 'dev', name]);
  }
}
