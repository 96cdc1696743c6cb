import { describe, expect, it } from 'vitest';
import {
  bridgeRules,
  chainNames,
  Firewall,
  publishedPortRules,
  restoreInput,
  ruleArgs,
} from './firewall';

const names = chainNames('BERTH');

describe('firewall rules', () => {
  it('builds isolation, forward and masquerade rules for a bridge network', () => {
    const rules = bridgeRules(names, {
      bridge: 'br-1',
      subnet: '172.18.0.0/16',
      internal: false,
      interContainer: true,
      masquerade: true,
    });
    expect(rules.map((rule) => ruleArgs(rule.first ? '-I' : '-A', rule).join(' '))).toEqual([
      '-w -t filter -A BERTH-ISOLATION-1 -i br-1 ! -o br-1 -j BERTH-ISOLATION-2',
      '-w -t filter -A BERTH-ISOLATION-2 -o br-1 -j DROP',
      '-w -t filter -A BERTH-FORWARD -i br-1 -o br-1 -j ACCEPT',
      '-w -t filter -A BERTH-FORWARD -o br-1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-w -t filter -A BERTH-FORWARD -i br-1 ! -o br-1 -j ACCEPT',
      '-w -t nat -A BERTH-POSTROUTING -s 172.18.0.0/16 ! -o br-1 -j MASQUERADE',
      '-w -t nat -I BERTH-DNAT 1 -i br-1 -j RETURN',
    ]);
    // Without the userland proxy: no RETURN, and host-local sources are masqueraded.
    const noProxy = bridgeRules(names, {
      bridge: 'br-1',
      subnet: '172.18.0.0/16',
      internal: false,
      interContainer: true,
      masquerade: true,
      userlandProxy: false,
    });
    expect(noProxy.at(-1)?.spec.join(' ')).toBe(
      '-o br-1 -m addrtype --src-type LOCAL -j MASQUERADE',
    );
    expect(noProxy.some((rule) => rule.chain === names.dnat)).toBe(false);
  });

  it('DNATs published IPv4 ports, leaving loopback (with the proxy) and IPv6 to the proxy', () => {
    const port = {
      bridge: 'br-1',
      address: '172.18.0.5',
      containerPort: 80,
      protocol: 'tcp' as const,
      hostIp: '',
      hostPort: 8080,
      userlandProxy: true,
    };
    expect(publishedPortRules(names, port).map((rule) => ruleArgs('-A', rule).join(' '))).toEqual([
      '-w -t nat -A BERTH-DNAT ! -i br-1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.5:80',
      '-w -t filter -A BERTH-FORWARD -d 172.18.0.5/32 ! -i br-1 -o br-1 -p tcp -m tcp --dport 80 -j ACCEPT',
    ]);
    expect(publishedPortRules(names, { ...port, hostIp: '::' })).toEqual([]);
    expect(publishedPortRules(names, { ...port, hostIp: '127.0.0.1' })).toEqual([]);
    const direct = publishedPortRules(names, {
      ...port,
      protocol: 'udp',
      hostIp: '127.0.0.1',
      userlandProxy: false,
    });
    expect(direct.map((rule) => rule.spec.join(' '))).toEqual([
      '-d 127.0.0.1/32 -p udp -m udp --dport 8080 -j DNAT --to-destination 172.18.0.5:80',
      '-d 172.18.0.5/32 ! -i br-1 -o br-1 -p udp -m udp --dport 80 -j ACCEPT',
      '-s 172.18.0.5/32 -d 172.18.0.5/32 -p udp -m udp --dport 80 -j MASQUERADE',
    ]);
  });

  it('gives internal networks no way out and no NAT; ICC off drops intra-bridge traffic', () => {
    const rules = bridgeRules(names, {
      bridge: 'br-2',
      subnet: '10.0.0.0/24',
      internal: true,
      interContainer: false,
      masquerade: true,
    });
    expect(rules.map((rule) => rule.spec.join(' '))).toEqual([
      '-i br-2 ! -o br-2 -j DROP',
      '-o br-2 ! -i br-2 -j DROP',
      '-i br-2 -o br-2 -j DROP',
    ]);
    expect(rules.some((rule) => rule.table === 'nat')).toBe(false);
  });

  it('rejects chain prefixes iptables would refuse', () => {
    expect(() => chainNames('berth')).toThrow('invalid chain prefix');
    expect(chainNames('BT1').postrouting).toBe('BT1-POSTROUTING');
  });

  it('batches rules into iptables-restore input', () => {
    const rules = bridgeRules(names, {
      bridge: 'br-9',
      subnet: '10.9.0.0/24',
      internal: false,
      interContainer: true,
      masquerade: true,
    });
    const input = restoreInput(rules.slice(0, 2), [{ table: 'nat', chain: 'BERTH-POSTROUTING' }]);
    expect(input).toBe(
      '*filter\n-A BERTH-ISOLATION-1 -i br-9 ! -o br-9 -j BERTH-ISOLATION-2\n-A BERTH-ISOLATION-2 -o br-9 -j DROP\nCOMMIT\n' +
        '*nat\n:BERTH-POSTROUTING - [0:0]\nCOMMIT\n',
    );
    expect(restoreInput([])).toBe('');
  });

  it('declares its chains, adds the builtin jumps once, and tears down only its own chains', async () => {
    const calls: string[] = [];
    const inputs: string[] = [];
    const jumps = new Set<string>();
    const fake = async (file: string, args: readonly string[], input?: string) => {
      calls.push(`${file} ${args.join(' ')}`);
      if (input !== undefined) inputs.push(input);
      const key = args.filter((a) => a !== '-w' && a !== '1').join(' ');
      if (args.includes('-C') && !jumps.has(key.replace(' -C ', ' -X ')))
        throw new Error('no such rule');
      if (args.includes('-I')) jumps.add(key.replace(' -I ', ' -X '));
      if (args.includes('-D')) jumps.delete(key.replace(' -D ', ' -X '));
      return '';
    };
    const firewall = new Firewall('BERTH', undefined, fake);
    await firewall.ensureBase();
    await firewall.ensureBase();
    expect(inputs[0]).toBe(
      '*filter\n:BERTH-FORWARD - [0:0]\n:BERTH-ISOLATION-1 - [0:0]\n:BERTH-ISOLATION-2 - [0:0]\n' +
        '-A BERTH-FORWARD -j BERTH-ISOLATION-1\nCOMMIT\n' +
        '*nat\n:BERTH-POSTROUTING - [0:0]\n:BERTH-DNAT - [0:0]\nCOMMIT\n',
    );
    expect(calls.filter((c) => c.includes(' -I '))).toEqual([
      'iptables -w -t filter -I FORWARD 1 -j BERTH-FORWARD',
      'iptables -w -t nat -I POSTROUTING 1 -j BERTH-POSTROUTING',
      'iptables -w -t nat -I PREROUTING 1 -m addrtype --dst-type LOCAL -j BERTH-DNAT',
      'iptables -w -t nat -I OUTPUT 1 ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j BERTH-DNAT',
    ]);
    // A later run without the userland proxy swaps the OUTPUT jump for the loopback-inclusive one.
    calls.length = 0;
    await new Firewall('BERTH', undefined, fake, false).rebuild([]);
    expect(calls.filter((c) => / -[DI] /.test(c))).toEqual([
      'iptables -w -t nat -D OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j BERTH-DNAT',
      'iptables -w -t nat -I OUTPUT 1 -m addrtype --dst-type LOCAL -j BERTH-DNAT',
    ]);
    calls.length = 0;
    await firewall.teardown();
    expect(calls.filter((c) => / -[DFX] /.test(c))).toEqual([
      'iptables -w -t filter -D FORWARD -j BERTH-FORWARD',
      'iptables -w -t nat -D POSTROUTING -j BERTH-POSTROUTING',
      'iptables -w -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j BERTH-DNAT',
      'iptables -w -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j BERTH-DNAT',
      'iptables -w -t filter -F BERTH-FORWARD',
      'iptables -w -t filter -F BERTH-ISOLATION-1',
      'iptables -w -t filter -F BERTH-ISOLATION-2',
      'iptables -w -t nat -F BERTH-POSTROUTING',
      'iptables -w -t nat -F BERTH-DNAT',
      'iptables -w -t filter -X BERTH-FORWARD',
      'iptables -w -t filter -X BERTH-ISOLATION-1',
      'iptables -w -t filter -X BERTH-ISOLATION-2',
      'iptables -w -t nat -X BERTH-POSTROUTING',
      'iptables -w -t nat -X BERTH-DNAT',
    ]);
  });
});
