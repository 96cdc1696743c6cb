// iptables rules for bridge networks, all inside berthd-owned chains. The builtin chains only get
// one jump each into ours, so teardown is "remove the jumps, flush and delete our chains" and no
// rule berthd did not write is ever touched. FORWARD may have policy DROP (dockerd sets it), so
// every flow we allow is an explicit ACCEPT in our chain.
import { runNetworkCommand, SerialQueue, type CommandRunner } from './command';

export type Table = 'filter' | 'nat';

export interface FirewallRule {
  table: Table;
  chain: string;
  spec: string[];
}

export interface ChainNames {
  forward: string;
  isolation1: string;
  isolation2: string;
  postrouting: string;
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
  };
}

/** Our chains, and the builtin chain each one is jumped to from. */
export function baseChains(names: ChainNames): { table: Table; chain: string; from?: string }[] {
  return [
    { table: 'filter', chain: names.forward, from: 'FORWARD' },
    { table: 'filter', chain: names.isolation1 },
    { table: 'filter', chain: names.isolation2 },
    { table: 'nat', chain: names.postrouting, from: 'POSTROUTING' },
  ];
}

export interface BridgeNetworkRules {
  bridge: string;
  subnet: string;
  internal: boolean;
  /** false = ICC disabled (com.docker.network.bridge.enable_icc=false). */
  interContainer: boolean;
  /** false = no MASQUERADE (com.docker.network.bridge.enable_ip_masquerade=false). */
  masquerade: boolean;
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
    for (const rule of lines) text += ['-A', rule.chain, ...rule.spec].join(' ') + '\n';
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
   * Creates our chains, or empties them after a crash (each network re-adds its rules), and the
   * single jump into each from the builtin chains. Call once at daemon start.
   */
  ensureBase(): Promise<void> {
    return this.queue.run(async () => {
      const chains = baseChains(this.names);
      // Isolation runs before any ACCEPT of ours.
      const isolationFirst: FirewallRule = {
        table: 'filter',
        chain: this.names.forward,
        spec: ['-j', this.names.isolation1],
      };
      await this.restore(restoreInput([isolationFirst], chains));
      for (const base of chains) {
        if (!base.from) continue;
        await this.addOnce({ table: base.table, chain: base.from, spec: ['-j', base.chain] }, true);
      }
    });
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
      const chains = baseChains(this.names);
      for (const base of chains) {
        if (!base.from) continue;
        const jump = { table: base.table, chain: base.from, spec: ['-j', base.chain] };
        while (await this.succeeds(ruleArgs('-C', jump))) await this.iptables(ruleArgs('-D', jump));
      }
      for (const base of chains) {
        await this.succeeds(['-w', '-t', base.table, '-F', base.chain]);
      }
      for (const base of chains) {
        await this.succeeds(['-w', '-t', base.table, '-X', base.chain]);
      }
    });
  }
}
