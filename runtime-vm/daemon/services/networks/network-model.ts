// Network and endpoint records as berthd stores them, and their Docker wire shapes.

export type NetworkDriverName = 'bridge' | 'host' | 'null' | 'macvlan';

export interface NetworkRecord {
  id: string;
  name: string;
  driver: NetworkDriverName;
  created: string;
  internal: boolean;
  attachable: boolean;
  predefined: boolean;
  /** IPv4 subnet/gateway; absent for host and none. */
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  /** Whether the user chose the IPAM config (echoed in inspect) or it was picked for them. */
  ipamFromUser: boolean;
  auxAddresses?: Record<string, string>;
  ipamOptions: Record<string, string> | null;
  options: Record<string, string>;
  labels: Record<string, string>;
  /** The IPv6 side of a dual-stack bridge network (--ipv6 --subnet fd00::/64). */
  subnet6?: string;
  gateway6?: string;
  /** The Linux bridge (bridge driver). */
  bridgeName?: string;
  /** The parent link and mode (macvlan driver). */
  parent?: string;
  macvlanMode?: string;
}

/** One container's attachment to one network. */
export interface EndpointRecord {
  networkId: string;
  endpointId: string;
  /** eth0, eth1... inside the container namespace. */
  interfaceName: string;
  address: string;
  prefix: number;
  gateway: string;
  mac: string;
  /** Aliases the user gave for this network. */
  aliases: string[];
  /** Everything the embedded DNS answers for this endpoint on this network. */
  dnsNames: string[];
  /** The IPv4Address the user asked for, if any. */
  staticAddress?: string;
  /** The IPv6 address, prefix and gateway on a dual-stack network. */
  address6?: string;
  prefix6?: number;
  gateway6?: string;
  /** The IPv6Address the user asked for, if any. */
  staticAddress6?: string;
}

/** Docker's EndpointSettings as clients send it in create/connect. */
export interface EndpointSettingsInput {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Aliases?: string[] | null;
  MacAddress?: string;
  NetworkID?: string;
  DriverOpts?: Record<string, string> | null;
}

/** Docker's EndpointSettings as container inspect reports it. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string } | null;
  Links: null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export function endpointSettings(endpoint: EndpointRecord): EndpointSettings {
  return {
    IPAMConfig:
      endpoint.staticAddress || endpoint.staticAddress6
        ? {
            ...(endpoint.staticAddress ? { IPv4Address: endpoint.staticAddress } : {}),
            ...(endpoint.staticAddress6 ? { IPv6Address: endpoint.staticAddress6 } : {}),
          }
        : null,
    Links: null,
    Aliases: endpoint.aliases.length > 0 ? [...endpoint.aliases] : null,
    MacAddress: endpoint.mac,
    DriverOpts: null,
    NetworkID: endpoint.networkId,
    EndpointID: endpoint.endpointId,
    Gateway: endpoint.gateway,
    IPAddress: endpoint.address,
    IPPrefixLen: endpoint.prefix,
    IPv6Gateway: endpoint.gateway6 ?? '',
    GlobalIPv6Address: endpoint.address6 ?? '',
    GlobalIPv6PrefixLen: endpoint.prefix6 ?? 0,
    DNSNames: endpoint.dnsNames.length > 0 ? [...endpoint.dnsNames] : null,
  };
}

export interface NetworkContainerEntry {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** GET /networks/{id} (and list entries, with an empty Containers map). */
export interface DockerNetwork {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: {
    Driver: 'default';
    Options: Record<string, string> | null;
    Config: {
      Subnet: string;
      Gateway?: string;
      IPRange?: string;
      AuxiliaryAddresses?: Record<string, string>;
    }[];
  };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, NetworkContainerEntry>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export function dockerNetwork(
  record: NetworkRecord,
  containers: Record<string, NetworkContainerEntry>,
): DockerNetwork {
  const config: DockerNetwork['IPAM']['Config'] = [];
  if (record.subnet) {
    const entry: DockerNetwork['IPAM']['Config'][number] = { Subnet: record.subnet };
    if (record.gateway) entry.Gateway = record.gateway;
    if (record.ipRange) entry.IPRange = record.ipRange;
    if (record.auxAddresses && Object.keys(record.auxAddresses).length > 0) {
      entry.AuxiliaryAddresses = { ...record.auxAddresses };
    }
    config.push(entry);
  }
  if (record.subnet6) config.push({ Subnet: record.subnet6, Gateway: record.gateway6 });
  return {
    Name: record.name,
    Id: record.id,
    Created: record.created,
    Scope: 'local',
    Driver: record.driver,
    EnableIPv4: true,
    EnableIPv6: record.subnet6 !== undefined,
    IPAM: { Driver: 'default', Options: record.ipamOptions, Config: config },
    Internal: record.internal,
    Attachable: record.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: { ...record.options },
    Labels: { ...record.labels },
  };
}

/** What POST /networks/create carries. */
export interface NetworkCreateRequest {
  Name?: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  EnableIPv6?: boolean;
  EnableIPv4?: boolean;
  IPAM?: {
    Driver?: string;
    Config?:
      | {
          Subnet?: string;
          IPRange?: string;
          Gateway?: string;
          AuxiliaryAddresses?: Record<string, string>;
        }[]
      | null;
    Options?: Record<string, string> | null;
  } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}
