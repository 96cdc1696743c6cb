// Networks: the predefined bridge/host/none, user-defined bridge and macvlan networks, and the
// facade the containers service and the router use. Endpoint work lives in ./endpoints.
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { ConflictError, ForbiddenError, NotFoundError, SystemError } from '../../errors';
import { silentLogger, type Logger } from '../../logger';
import type { EventBus } from '../events';
import { EmbeddedDns } from '../../drivers/network/dns-server';
import { bridgeRules, Firewall, type FirewallRule } from '../../drivers/network/firewall';
import {
  AddressAllocator,
  defaultAddressPools,
  pickSubnet,
  type AddressPool,
} from '../../drivers/network/ipam';
import { formatCidr, formatIpv4, parseCidr, parseIpv4 } from '../../drivers/network/ipv4';
import { Ipv6Allocator, parseCidr6, parseIpv6 } from '../../drivers/network/ipv6';
import { Links } from '../../drivers/network/links';
import {
  publishRequests,
  type PortMap,
  type PortBinding,
} from '../../drivers/network/port-bindings';
import {
  dockerNetwork,
  endpointSettings,
  type DockerNetwork,
  type EndpointSettings,
  type EndpointSettingsInput,
  type NetworkContainerEntry,
  type NetworkCreateRequest,
  type NetworkRecord,
} from './network-model';
import { NetworkStore, type ContainerNetworkState } from './network-store';
import { parseBip, validatePools } from './address-settings';
import {
  emitNetworkEvent,
  endpointsOn,
  type ContainerDirectory,
  type NetworkContext,
} from './network-context';
import { matchesNetworkFilters, type FilterMap } from './network-filters';
import { bridgeNameOption, newNetworkId, recordFromRequest, usedSubnets } from './network-create';
import {
  attachContainer,
  connectLive,
  detachContainer,
  disconnectLive,
  dnsRecords,
  findNetwork,
  validateEndpointConfig,
  type AttachResult,
} from './endpoints';
import {
  publishContainerPorts,
  publishedPortsOf,
  releasePorts,
  reopenPorts,
} from './published-ports';

export type { AttachResult, ContainerDirectory };

export interface NetworkServiceOptions {
  dataRoot: string;
  events?: EventBus;
  logger?: Logger;
  /** Pools for user-defined networks (dockerd's default-address-pools). */
  addressPools?: AddressPool[];
  /** The default bridge's subnet (dockerd's --bip, as a CIDR); picked when absent. */
  defaultBridgeSubnet?: string;
  /** Defaults come from instanceNetworkNames(dataRoot). */
  defaultBridgeName?: string;
  /** Prefix of the iptables chains. */
  chainPrefix?: string;
  /** Prefix of container namespaces under /var/run/netns. */
  namespacePrefix?: string;
  /** Run host-side link and iptables commands in this namespace (tests). */
  hostNamespace?: string;
  dnsPort?: number;
  dnsUpstreams?: string[];
  /**
   * dockerd's userland-proxy (default true): loopback clients of published ports go through a
   * proxy in berthd; everyone else is DNATed. false: loopback is DNATed too (route_localnet).
   */
  userlandProxy?: boolean;
}

const mtuOption = 'com.docker.network.driver.mtu';
const iccOption = 'com.docker.network.bridge.enable_icc';
const masqueradeOption = 'com.docker.network.bridge.enable_ip_masquerade';

/**
 * Kernel object names for a daemon instance. The default data root gets Docker-like names
 * (berth0, BERTH-*, berth-<id>); any other data root (a second berthd, a test daemon) gets names
 * tagged with a hash of it, so two daemons never share or tear down each other's bridge or chains.
 */
export function instanceNetworkNames(dataRoot: string): {
  defaultBridgeName: string;
  chainPrefix: string;
  namespacePrefix: string;
} {
  const root = resolve(dataRoot);
  if (root === '/var/lib/berth') {
    return { defaultBridgeName: 'berth0', chainPrefix: 'BERTH', namespacePrefix: 'berth-' };
  }
  const tag = createHash('sha256').update(root).digest('hex').slice(0, 6);
  return {
    defaultBridgeName: `berth${tag}`,
    chainPrefix: `BERTH${tag.toUpperCase()}`,
    namespacePrefix: `berth${tag}-`,
  };
}

function optionFlag(options: Record<string, string>, key: string): boolean {
  const value = options[key];
  return value === undefined || !['false', '0', 'no'].includes(value.toLowerCase());
}

export class NetworkService {
  private readonly ctx: NetworkContext;
  private readonly pools: AddressPool[];
  private readonly defaultBridgeName: string;

  constructor(private readonly options: NetworkServiceOptions) {
    const logger = (options.logger ?? silentLogger).child({ component: 'networks' });
    const names = instanceNetworkNames(options.dataRoot);
    this.defaultBridgeName = options.defaultBridgeName ?? names.defaultBridgeName;
    const networks = new Map<string, NetworkRecord>();
    const containers = new Map<string, ContainerNetworkState>();
    const userlandProxy = options.userlandProxy ?? true;
    this.ctx = {
      links: new Links(options.hostNamespace),
      firewall: new Firewall(
        options.chainPrefix ?? names.chainPrefix,
        options.hostNamespace,
        undefined,
        userlandProxy,
      ),
      dns: new EmbeddedDns(dnsRecords({ networks, containers }), {
        port: options.dnsPort,
        upstreams: options.dnsUpstreams,
      }),
      store: new NetworkStore(join(options.dataRoot, 'network')),
      events: options.events,
      logger,
      networks,
      allocators: new Map(),
      allocators6: new Map(),
      containers,
      publications: new Map(),
      portRules: new Map(),
      userlandProxy,
      namespacePrefix: options.namespacePrefix ?? names.namespacePrefix,
    };
    this.pools = options.addressPools ?? [...defaultAddressPools];
  }

  /** Lets connect/disconnect resolve containers by name and record membership in their config. */
  setContainerDirectory(directory: ContainerDirectory): void {
    this.ctx.directory = directory;
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /**
   * Loads networks (creating bridge/host/none on first start), rebuilds bridges and DNS,
   * re-adopts the endpoints and port publications of containers that kept running, then swaps
   * in the full rule set in one transaction (the previous run's rules stayed in place for them).
   */
  async start(): Promise<void> {
    await this.ctx.store.init();
    for (const record of await this.ctx.store.loadNetworks())
      this.ctx.networks.set(record.id, record);
    await this.ctx.links.enableForwarding();
    validatePools(this.pools);
    if (![...this.ctx.networks.values()].some((record) => record.predefined)) {
      await this.createPredefined();
    } else {
      await this.applyBip();
    }
    const rules: FirewallRule[] = [];
    for (const record of this.ctx.networks.values()) {
      this.prepareAllocator(record);
      // One network that cannot be rebuilt (its subnet now clashes, a link vanished) must not
      // keep berthd from starting: the others and everything else still work.
      try {
        await this.realizeLinks(record);
        rules.push(...this.firewallRules(record));
      } catch (error) {
        this.ctx.logger.error('could not restore network', { network: record.name, error });
      }
    }
    const namespaces = new Set(await this.ctx.links.listNamespaces());
    for (const state of await this.ctx.store.loadContainers()) {
      if (state.namespace && !namespaces.has(state.namespace)) {
        await this.ctx.store.removeContainer(state.containerId);
        continue;
      }
      state.endpoints = state.endpoints.filter((endpoint) =>
        this.ctx.networks.has(endpoint.networkId),
      );
      for (const endpoint of state.endpoints) {
        this.ctx.allocators.get(endpoint.networkId)?.reserve(parseIpv4(endpoint.address));
        if (endpoint.address6) {
          this.ctx.allocators6.get(endpoint.networkId)?.reserve(parseIpv6(endpoint.address6));
        }
      }
      this.ctx.containers.set(state.containerId, state);
      await reopenPorts(this.ctx, state);
      rules.push(...(this.ctx.portRules.get(state.containerId) ?? []));
    }
    await this.ctx.firewall.rebuild(rules);
  }

  /**
   * Closes DNS and proxies. Containers keep running without berthd (live restore), so while any
   * has an endpoint the chains and the rules their traffic needs stay, and only networks nobody
   * uses are cleaned up; with none left, every chain and bridge of berthd goes.
   */
  async shutdown(): Promise<void> {
    for (const containerId of [...this.ctx.publications.keys()]) {
      const publications = this.ctx.publications.get(containerId) ?? [];
      this.ctx.publications.delete(containerId);
      await Promise.all(publications.map((publication) => publication.close()));
    }
    await this.ctx.dns.closeAll();
    const live = [...this.ctx.containers.values()].some((state) => state.endpoints.length > 0);
    if (!live) await this.ctx.firewall.teardown();
    for (const record of this.ctx.networks.values()) {
      if (!record.bridgeName || endpointsOn(this.ctx, record.id).length > 0) continue;
      if (live) await this.ctx.firewall.removeRules(this.firewallRules(record));
      await this.ctx.links.deleteLink(record.bridgeName);
    }
  }

  /** The default bridge's subnet and gateway: --bip when given, else a free default subnet. */
  private async defaultBridgeAddress(): Promise<{ subnet: string; gateway: string }> {
    const bip = this.options.defaultBridgeSubnet;
    if (bip) return parseBip(bip);
    const taken = [...(await this.ctx.links.hostRoutes()), ...usedSubnets(this.ctx)];
    // Docker's 172.17.0.0/16 first, unless the daemon was given its own pools.
    const pools = this.options.addressPools
      ? this.pools
      : [{ base: '172.17.0.0/16', size: 16 }, ...this.pools];
    const subnet = pickSubnet(pools, taken);
    return { subnet: formatCidr(subnet), gateway: formatIpv4(subnet.network + 1) };
  }

  /**
   * A changed --bip moves the default bridge, as dockerd does at start, unless containers that
   * kept running still have addresses on it (then it stays until they are gone).
   */
  private async applyBip(): Promise<void> {
    const bip = this.options.defaultBridgeSubnet;
    const record = [...this.ctx.networks.values()].find(
      (candidate) => candidate.predefined && candidate.driver === 'bridge',
    );
    if (!bip || !record) return;
    const wanted = parseBip(bip);
    if (record.subnet === wanted.subnet && record.gateway === wanted.gateway) return;
    const inUse = (await this.ctx.store.loadContainers()).some((state) =>
      state.endpoints.some((endpoint) => endpoint.networkId === record.id),
    );
    if (inUse) {
      this.ctx.logger.warn('--bip changed but containers still use the default bridge', {
        bip,
        subnet: record.subnet,
      });
      return;
    }
    record.subnet = wanted.subnet;
    record.gateway = wanted.gateway;
    if (record.bridgeName) await this.ctx.links.deleteLink(record.bridgeName);
    await this.ctx.store.saveNetwork(record);
  }

  private async createPredefined(): Promise<void> {
    const { subnet, gateway } = await this.defaultBridgeAddress();
    const bridgeName = this.defaultBridgeName;
    const now = new Date().toISOString();
    const base = {
      created: now,
      internal: false,
      attachable: false,
      predefined: true,
      ipamOptions: null,
      labels: {},
    };
    const records: NetworkRecord[] = [
      {
        ...base,
        id: newNetworkId(),
        name: 'bridge',
        driver: 'bridge',
        subnet,
        gateway,
        ipamFromUser: false,
        bridgeName,
        options: {
          'com.docker.network.bridge.default_bridge': 'true',
          [iccOption]: 'true',
          [masqueradeOption]: 'true',
          'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
          [bridgeNameOption]: bridgeName,
          [mtuOption]: '1500',
        },
      },
      {
        ...base,
        id: newNetworkId(),
        name: 'host',
        driver: 'host',
        ipamFromUser: false,
        options: {},
      },
      {
        ...base,
        id: newNetworkId(),
        name: 'none',
        driver: 'null',
        ipamFromUser: false,
        options: {},
      },
    ];
    for (const record of records) {
      this.ctx.networks.set(record.id, record);
      await this.ctx.store.saveNetwork(record);
    }
  }

  private prepareAllocator(record: NetworkRecord): void {
    if (!record.subnet || !record.gateway) return;
    const allocator = new AddressAllocator(
      parseCidr(record.subnet),
      record.ipRange ? parseCidr(record.ipRange) : undefined,
    );
    allocator.reserve(parseIpv4(record.gateway));
    for (const address of Object.values(record.auxAddresses ?? {}))
      allocator.reserve(parseIpv4(address));
    this.ctx.allocators.set(record.id, allocator);
    if (record.subnet6 && record.gateway6) {
      const allocator6 = new Ipv6Allocator(parseCidr6(record.subnet6));
      allocator6.reserve(parseIpv6(record.gateway6));
      this.ctx.allocators6.set(record.id, allocator6);
    }
  }

  private firewallRules(record: NetworkRecord): FirewallRule[] {
    if (record.driver !== 'bridge' || !record.bridgeName || !record.subnet) return [];
    return bridgeRules(this.ctx.firewall.names, {
      bridge: record.bridgeName,
      subnet: record.subnet,
      internal: record.internal,
      interContainer: optionFlag(record.options, iccOption),
      masquerade: optionFlag(record.options, masqueradeOption),
      userlandProxy: this.ctx.userlandProxy,
    });
  }

  /** Makes the kernel match a record: bridge with its gateway, firewall rules, DNS listener. */
  private async realize(record: NetworkRecord): Promise<void> {
    await this.realizeLinks(record);
    await this.ctx.firewall.addRules(this.firewallRules(record));
  }

  /** The bridge with its gateway address, and the DNS listener on it. */
  private async realizeLinks(record: NetworkRecord): Promise<void> {
    if (record.driver !== 'bridge' || !record.bridgeName || !record.subnet || !record.gateway)
      return;
    const prefix = parseCidr(record.subnet).prefix;
    const mtu = Number(record.options[mtuOption] ?? '1500');
    await this.ctx.links.ensureBridge(record.bridgeName, `${record.gateway}/${prefix}`, mtu);
    if (record.subnet6 && record.gateway6) {
      const prefix6 = parseCidr6(record.subnet6).prefix;
      await this.ctx.links.addBridgeAddress6(record.bridgeName, `${record.gateway6}/${prefix6}`);
    }
    // Without the proxy, 127.0.0.1 clients are DNATed onto the bridge: the kernel must route them.
    if (!this.ctx.userlandProxy) await this.ctx.links.enableRouteLocalnet(record.bridgeName);
    if (!record.predefined && !this.options.hostNamespace) {
      // Port 53 on the gateway may be taken (a dnsmasq on 0.0.0.0): the network still works,
      // containers then use the host's resolvers and cannot resolve each other by name.
      await this.ctx.dns.listen(record.id, record.gateway).catch((error: unknown) => {
        this.ctx.logger.warn('embedded DNS cannot listen on the gateway', {
          network: record.name,
          address: record.gateway,
          error,
        });
      });
    }
  }

  private async unrealize(record: NetworkRecord): Promise<void> {
    await this.ctx.dns.close(record.id);
    await this.ctx.firewall.removeRules(this.firewallRules(record));
    if (record.bridgeName) await this.ctx.links.deleteLink(record.bridgeName);
  }

  // ---- CRUD --------------------------------------------------------------------------------

  async create(request: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    const record = await recordFromRequest(this.ctx, this.pools, request);
    const id = record.id;
    this.prepareAllocator(record);
    try {
      await this.realize(record);
      await this.ctx.store.saveNetwork(record);
    } catch (error) {
      await this.unrealize(record).catch(() => undefined);
      this.ctx.allocators.delete(id);
      this.ctx.allocators6.delete(id);
      throw error;
    }
    this.ctx.networks.set(id, record);
    emitNetworkEvent(this.ctx, 'create', record);
    return { Id: id, Warning: '' };
  }

  inspect(idOrName: string): DockerNetwork {
    const record = findNetwork(this.ctx, idOrName);
    const containers: Record<string, NetworkContainerEntry> = {};
    for (const { state, endpoint } of endpointsOn(this.ctx, record.id)) {
      containers[state.containerId] = {
        Name: state.name,
        EndpointID: endpoint.endpointId,
        MacAddress: endpoint.mac,
        IPv4Address: `${endpoint.address}/${endpoint.prefix}`,
        IPv6Address: endpoint.address6 ? `${endpoint.address6}/${endpoint.prefix6}` : '',
      };
    }
    return dockerNetwork(record, containers);
  }

  list(filters: FilterMap = new Map()): DockerNetwork[] {
    return [...this.ctx.networks.values()]
      .filter((record) =>
        matchesNetworkFilters(record, filters, endpointsOn(this.ctx, record.id).length),
      )
      .map((record) => dockerNetwork(record, {}));
  }

  async remove(idOrName: string): Promise<void> {
    const record = findNetwork(this.ctx, idOrName);
    if (record.predefined) {
      throw new ForbiddenError(`${record.name} is a pre-defined network and cannot be removed`);
    }
    if (endpointsOn(this.ctx, record.id).length > 0) {
      throw new ConflictError(
        `error while removing network: network ${record.name} id ${record.id} has active endpoints`,
      );
    }
    await this.unrealize(record);
    this.ctx.networks.delete(record.id);
    this.ctx.allocators.delete(record.id);
    this.ctx.allocators6.delete(record.id);
    await this.ctx.store.removeNetwork(record.id);
    emitNetworkEvent(this.ctx, 'destroy', record);
  }

  /** Removes unused user-defined networks; `untilMs` and labels narrow which. */
  async prune(filters: FilterMap = new Map(), untilMs?: number): Promise<string[]> {
    const removed: string[] = [];
    const labelFilters: FilterMap = new Map();
    for (const key of ['label', 'label!']) {
      const values = filters.get(key);
      if (values) labelFilters.set(key, values);
    }
    for (const record of [...this.ctx.networks.values()]) {
      if (record.predefined || endpointsOn(this.ctx, record.id).length > 0) continue;
      if (untilMs !== undefined && Date.parse(record.created) > untilMs) continue;
      if (!matchesNetworkFilters(record, labelFilters, 0)) continue;
      await this.remove(record.id);
      removed.push(record.name);
    }
    return removed;
  }

  async connect(
    idOrName: string,
    containerRef: string,
    config: EndpointSettingsInput = {},
  ): Promise<void> {
    const network = findNetwork(this.ctx, idOrName);
    const container = await this.findContainer(containerRef);
    if (network.driver === 'host' || network.driver === 'null') {
      throw new ForbiddenError(
        `container cannot be connected to the ${network.name} network at runtime`,
      );
    }
    if (container.running && this.ctx.containers.has(container.id)) {
      await connectLive(this.ctx, container.id, network, config);
    }
    await this.ctx.directory?.recordEndpointConfig(container.id, network.name, config);
  }

  async disconnect(idOrName: string, containerRef: string, _force = false): Promise<void> {
    const network = findNetwork(this.ctx, idOrName);
    const container = await this.findContainer(containerRef);
    const wasLive = await disconnectLive(this.ctx, container.id, network);
    if (!wasLive && container.running) {
      throw new ForbiddenError(
        `container ${container.id} is not connected to network ${network.name}`,
      );
    }
    await this.ctx.directory?.recordEndpointConfig(container.id, network.name, null);
  }

  private async findContainer(ref: string) {
    if (!this.ctx.directory)
      throw new SystemError('the network service has no container directory wired');
    const container = await this.ctx.directory.find(ref);
    if (!container) throw new NotFoundError(`No such container: ${ref}`);
    return container;
  }

  // ---- what the containers service calls ---------------------------------------------------

  /** Creates the container's namespace and endpoints (call before runc create). */
  attach(
    containerId: string,
    name: string,
    networkMode: string,
    endpointsConfig?: Record<string, EndpointSettingsInput> | null,
    hostname?: string,
  ): Promise<AttachResult> {
    return attachContainer(this.ctx, containerId, name, networkMode, endpointsConfig, hostname);
  }

  /** Releases ports, addresses and the namespace (after the container stopped). */
  detach(containerId: string): Promise<void> {
    return detachContainer(this.ctx, containerId);
  }

  /** Detaches every container but `known` (after a crash cut a removal's cleanup short). */
  async detachAllExcept(known: ReadonlySet<string>): Promise<void> {
    for (const containerId of [...this.ctx.containers.keys()]) {
      if (!known.has(containerId)) await detachContainer(this.ctx, containerId);
    }
  }

  /** Opens the host ports; returns NetworkSettings.Ports (exposed-only ports map to null). */
  publishPorts(
    containerId: string,
    portBindings: Record<string, PortBinding[] | null> | null | undefined,
    exposedPorts: Record<string, unknown> | null | undefined,
    publishAll = false,
  ): Promise<PortMap> {
    return publishContainerPorts(
      this.ctx,
      containerId,
      publishRequests(portBindings, exposedPorts, publishAll),
      exposedPorts,
    );
  }

  /** Closes the container's published ports. */
  release(containerId: string): Promise<void> {
    return releasePorts(this.ctx, containerId);
  }

  endpointsOf(containerId: string): Record<string, EndpointSettings> {
    const state = this.ctx.containers.get(containerId);
    const result: Record<string, EndpointSettings> = {};
    for (const endpoint of state?.endpoints ?? []) {
      const network = this.ctx.networks.get(endpoint.networkId);
      if (network) result[network.name] = endpointSettings(endpoint);
    }
    return result;
  }

  portsOf(containerId: string): PortMap {
    return publishedPortsOf(this.ctx, containerId);
  }

  /** Keeps DNS names in step with `docker rename`. */
  async renameContainer(containerId: string, newName: string): Promise<void> {
    const state = this.ctx.containers.get(containerId);
    if (!state) return;
    const oldName = state.name;
    state.name = newName.replace(/^\//, '');
    for (const endpoint of state.endpoints) {
      endpoint.dnsNames = endpoint.dnsNames.map((name) => (name === oldName ? state.name : name));
    }
    await this.ctx.store.saveContainer(state);
  }

  /** Checks an endpoint's static addresses against a network (container create). */
  validateEndpoint(idOrName: string, config: EndpointSettingsInput | null | undefined): void {
    validateEndpointConfig(findNetwork(this.ctx, idOrName), config ?? undefined);
  }

  /** Whether a network exists, for validating HostConfig.NetworkMode at container create. */
  resolve(idOrName: string): { id: string; name: string; driver: string } {
    const record = findNetwork(this.ctx, idOrName);
    return { id: record.id, name: record.name, driver: record.driver };
  }
}
