// iptables rules for bridge networks, all inside berthd-owned chains. The builtin chains only get
// one jump each into ours, so teardown is "remove the jumps, flush and delete our chains" and no
// rule berthd did not write is ever touched. FORWARD may have policy DROP (dockerd sets it), so
// every flow we allow is an explicit ACCEPT in our chain. Published ports get a DNAT rule in our
// nat chain, so a server in a container sees the real client address.
import { runNetworkCommand, SerialQueue, type CommandRunner } from './command';

export type Table = 'filter' | 'nat';

export interface FirewallRule {
  table: Table;
  chain: string;
  spec: string[];
  /** Inserted at the top of the chain instead of appended. */
  first?: boolean;
}

export interface ChainNames {
  forward: string;
  isolation1: string;
  isolation2: string;
  postrouting: string;
  /** nat: published ports (dockerd's DOCKER chain in nat). */
  dnat: string;
}

/** Chain names for a prefix; the default prefix is `BERTH`, tests use their own. */
export function chainNames(prefix: string): ChainNames {
  if (!/^[A-Z][A-Z0-9]{0,11}$/.test(prefix)) {
    throw new Error(`invalid chain prefix ${prefix}: 1-12 upper-case letters or digits`);
  }
  return {
    forward: `${prefix}-FORWARD`,
    isolation1: `${prefix}-ISOLATION-1`,
    isolation2: `${prefix}-ISOLATION-2`,
    postrouting: `${prefix}-POSTROUTING`,
    dnat: `${prefix}-DNAT`,
  };
}

/** Our chains. */
export function baseChains(names: ChainNames): { table: Table; chain: string }[] {
  return [
    { table: 'filter', chain: names.forward },
    { table: 'filter', chain: names.isolation1 },
    { table: 'filter', chain: names.isolation2 },
    { table: 'nat', chain: names.postrouting },
    { table: 'nat', chain: names.dnat },
  ];
}

const localDestination = ['-m', 'addrtype', '--dst-type', 'LOCAL'];

/**
 * The single jump from each builtin chain into ours. Locally generated packets to 127.0.0.0/8
 * only reach the DNAT chain without the userland proxy (then route_localnet is on for bridges),
 * as in dockerd; with it, loopback clients go to the proxy.
 */
export function baseJumps(names: ChainNames, userlandProxy: boolean): FirewallRule[] {
  const loopback = userlandProxy ? ['!', '-d', '127.0.0.0/8'] : [];
  return [
    { table: 'filter', chain: 'FORWARD', spec: ['-j', names.forward] },
    { table: 'nat', chain: 'POSTROUTING', spec: ['-j', names.postrouting] },
    { table: 'nat', chain: 'PREROUTING', spec: [...localDestination, '-j', names.dnat] },
    { table: 'nat', chain: 'OUTPUT', spec: [...loopback, ...localDestination, '-j', names.dnat] },
  ];
}

/** Every jump either mode may have left (the mode can change between daemon runs). */
function allJumps(names: ChainNames): FirewallRule[] {
  const both = [...baseJumps(names, true), ...baseJumps(names, false)];
  return both.filter(
    (rule, index) =>
      both.findIndex(
        (other) => ruleArgs('-C', other).join(' ') === ruleArgs('-C', rule).join(' '),
      ) === index,
  );
}

export interface BridgeNetworkRules {
  bridge: string;
  subnet: string;
  internal: boolean;
  /** false = ICC disabled (com.docker.network.bridge.enable_icc=false). */
  interContainer: boolean;
  /** false = no MASQUERADE (com.docker.network.bridge.enable_ip_masquerade=false). */
  masquerade: boolean;
  /**
   * true (default): containers reaching a published port through a host address go to the
   * userland proxy, so it also works across networks. false: they are DNATed like everyone,
   * and host-local sources (127.0.0.1 with route_localnet) are masqueraded onto the bridge.
   */
  userlandProxy?: boolean;
}

/** The rules one bridge network needs, in the order they are appended. */
export function bridgeRules(names: ChainNames, net: BridgeNetworkRules): FirewallRule[] {
  const br = net.bridge;
  const rules: FirewallRule[] = [];
  const filter = (chain: string, spec: string[]) => rules.push({ table: 'filter', chain, spec });
  if (net.internal) {
    // Nothing in or out of an internal network; containers on it only see each other.
    filter(names.isolation1, ['-i', br, '!', '-o', br, '-j', 'DROP']);
    filter(names.isolation1, ['-o', br, '!', '-i', br, '-j', 'DROP']);
  } else {
    // Two stages: traffic leaving this bridge for another bridge network is dropped in stage 2.
    filter(names.isolation1, ['-i', br, '!', '-o', br, '-j', names.isolation2]);
    filter(names.isolation2, ['-o', br, '-j', 'DROP']);
  }
  filter(names.forward, ['-i', br, '-o', br, '-j', net.interContainer ? 'ACCEPT' : 'DROP']);
  if (!net.internal) {
    filter(names.forward, [
      '-o',
      br,
      '-m',
      'conntrack',
      '--ctstate',
      'RELATED,ESTABLISHED',
      '-j',
      'ACCEPT',
    ]);
    filter(names.forward, ['-i', br, '!', '-o', br, '-j', 'ACCEPT']);
    if (net.masquerade) {
      rules.push({
        table: 'nat',
        chain: names.postrouting,
        spec: ['-s', net.subnet, '!', '-o', br, '-j', 'MASQUERADE'],
      });
    }
    if (net.userlandProxy === false) {
      rules.push({
        table: 'nat',
        chain: names.postrouting,
        spec: ['-o', br, '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'MASQUERADE'],
      });
    } else {
      // Ahead of every port rule: traffic from containers is left to the proxy.
      rules.push({
        table: 'nat',
        chain: names.dnat,
        spec: ['-i', br, '-j', 'RETURN'],
        first: true,
      });
    }
  }
  return rules;
}

export interface PublishedPortRule {
  bridge: string;
  /** The container's address on that bridge. */
  address: string;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  /** '' or 0.0.0.0 = every host address. */
  hostIp: string;
  hostPort: number;
  userlandProxy: boolean;
}

/**
 * DNAT (and the FORWARD accept it needs) for one published IPv4 port. None where DNAT cannot
 * work: IPv6 host addresses (containers have no IPv6 here) and, with the userland proxy, loopback
 * host addresses, which the proxy serves.
 */
export function publishedPortRules(names: ChainNames, port: PublishedPortRule): FirewallRule[] {
  const { bridge, address, protocol } = port;
  if (port.hostIp.includes(':')) return [];
  if (port.userlandProxy && port.hostIp.startsWith('127.')) return [];
  const destination =
    port.hostIp === '' || port.hostIp === '0.0.0.0' ? [] : ['-d', `${port.hostIp}/32`];
  const match = (portNumber: number) => [
    '-p',
    protocol,
    '-m',
    protocol,
    '--dport',
    String(portNumber),
  ];
  const rules: FirewallRule[] = [
    {
      table: 'nat',
      chain: names.dnat,
      spec: [
        ...destination,
        ...(port.userlandProxy ? ['!', '-i', bridge] : []),
        ...match(port.hostPort),
        '-j',
        'DNAT',
        '--to-destination',
        `${address}:${port.containerPort}`,
      ],
    },
    {
      table: 'filter',
      chain: names.forward,
      spec: [
        '-d',
        `${address}/32`,
        '!',
        '-i',
        bridge,
        '-o',
        bridge,
        ...match(port.containerPort),
        '-j',
        'ACCEPT',
      ],
    },
  ];
  if (!port.userlandProxy) {
    // Hairpin: a container reaching its own published port through a host address.
    rules.push({
      table: 'nat',
      chain: names.postrouting,
      spec: [
        '-s',
        `${address}/32`,
        '-d',
        `${address}/32`,
        ...match(port.containerPort),
        '-j',
        'MASQUERADE',
      ],
    });
  }
  return rules;
}

export function ruleArgs(action: '-A' | '-C' | '-D' | '-I', rule: FirewallRule): string[] {
  const position = action === '-I' ? ['1'] : [];
  return ['-w', '-t', rule.table, action, rule.chain, ...position, ...rule.spec];
}

/**
 * iptables-restore input that appends `rules` (and first declares `declare`, which creates those
 * chains or, with --noflush, empties them if they exist).
 */
export function restoreInput(
  rules: readonly FirewallRule[],
  declare: readonly { table: Table; chain: string }[] = [],
): string {
  let text = '';
  for (const table of ['filter', 'nat'] as const) {
    const chains = declare.filter((entry) => entry.table === table);
    const lines = rules.filter((rule) => rule.table === table);
    if (chains.length === 0 && lines.length === 0) continue;
    text += `*${table}\n`;
    for (const chain of chains) text += `:${chain.chain} - [0:0]\n`;
    for (const rule of lines) {
      const action = rule.first ? ['-I', rule.chain, '1'] : ['-A', rule.chain];
      text += [...action, ...rule.spec].join(' ') + '\n';
    }
    text += 'COMMIT\n';
  }
  return text;
}

export class Firewall {
  private readonly queue = new SerialQueue();
  readonly names: ChainNames;

  constructor(
    prefix = 'BERTH',
    private readonly hostNamespace?: string,
    private readonly run: CommandRunner = runNetworkCommand,
    private readonly userlandProxy = true,
  ) {
    this.names = chainNames(prefix);
  }

  private iptables(args: string[]): Promise<string> {
    if (this.hostNamespace) {
      return this.run('ip', ['netns', 'exec', this.hostNamespace, 'iptables', ...args]);
    }
    return this.run('iptables', args);
  }

  /** One iptables-restore call for a batch: ~60 ms once instead of per rule. */
  private restore(input: string): Promise<string> {
    if (input === '') return Promise.resolve('');
    const args = ['--noflush', '--wait'];
    if (this.hostNamespace) {
      return this.run(
        'ip',
        ['netns', 'exec', this.hostNamespace, 'iptables-restore', ...args],
        input,
      );
    }
    return this.run('iptables-restore', args, input);
  }

  private async succeeds(args: string[]): Promise<boolean> {
    try {
      await this.iptables(args);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Creates our chains, or empties them, and fills them with `rules` in one iptables-restore
   * transaction per table, so a restarted daemon swaps the old rules for the new ones without a
   * moment where running containers lose NAT or published ports. Then makes sure each builtin
   * chain jumps into ours exactly once. Call at daemon start.
   */
  rebuild(rules: readonly FirewallRule[] = []): Promise<void> {
    return this.queue.run(async () => {
      // Isolation runs before any ACCEPT of ours.
      const isolationFirst: FirewallRule = {
        table: 'filter',
        chain: this.names.forward,
        spec: ['-j', this.names.isolation1],
      };
      await this.restore(restoreInput([isolationFirst, ...rules], baseChains(this.names)));
      const wanted = baseJumps(this.names, this.userlandProxy);
      const key = (rule: FirewallRule) => ruleArgs('-C', rule).join(' ');
      for (const stale of allJumps(this.names)) {
        if (wanted.some((rule) => key(rule) === key(stale))) continue;
        while (await this.succeeds(ruleArgs('-C', stale)))
          await this.iptables(ruleArgs('-D', stale));
      }
      for (const jump of wanted) await this.addOnce(jump, true);
    });
  }

  /** Empty chains and the builtin jumps; the same as rebuild([]). */
  ensureBase(): Promise<void> {
    return this.rebuild([]);
  }

  private async addOnce(rule: FirewallRule, first = false): Promise<void> {
    if (await this.succeeds(ruleArgs('-C', rule))) return;
    await this.iptables(ruleArgs(first ? '-I' : '-A', rule));
  }

  /** Appends a network's rules to our chains (emptied by ensureBase), in one batch. */
  addRules(rules: readonly FirewallRule[]): Promise<void> {
    return this.queue.run(() => this.restore(restoreInput(rules)).then(() => undefined));
  }

  /** Deletes each rule if present; a rule already gone is not an error. */
  removeRules(rules: readonly FirewallRule[]): Promise<void> {
    return this.queue.run(async () => {
      for (const rule of rules) {
        while (await this.succeeds(ruleArgs('-C', rule))) await this.iptables(ruleArgs('-D', rule));
      }
    });
  }

  /** Removes the jumps and our chains: leaves the tables exactly as they were before berthd. */
  teardown(): Promise<void> {
    return this.queue.run(async () => {
      for (const jump of allJumps(this.names)) {
        while (await this.succeeds(ruleArgs('-C', jump))) await this.iptables(ruleArgs('-D', jump));
      }
      const chains = baseChains(this.names);
      for (const base of chains) {
        await this.succeeds(['-w', '-t', base.table, '-F', base.chain]);
      }
      for (const base of chains) {
        await this.succeeds(['-w', '-t', base.table, '-X', base.chain]);
      }
    });
  }
}
