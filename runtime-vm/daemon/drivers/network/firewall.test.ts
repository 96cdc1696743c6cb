import { describe, expect, it } from 'vitest';
import { bridgeRules, chainNames, Firewall, restoreInput, ruleArgs } from './firewall';

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
    expect(rules.map((rule) => ruleArgs('-A', rule).join(' '))).toEqual([
      '-w -t filter -A BERTH-ISOLATION-1 -i br-1 ! -o br-1 -j BERTH-ISOLATION-2',
      '-w -t filter -A BERTH-ISOLATION-2 -o br-1 -j DROP',
      '-w -t filter -A BERTH-FORWARD -i br-1 -o br-1 -j ACCEPT',
      '-w -t filter -A BERTH-FORWARD -o br-1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-w -t filter -A BERTH-FORWARD -i br-1 ! -o br-1 -j ACCEPT',
      '-w -t nat -A BERTH-POSTROUTING -s 172.18.0.0/16 ! -o br-1 -j MASQUERADE',
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
        '-A BERTH-FORWARD -j BERTH-ISOLATION-1\nCOMMIT\n*nat\n:BERTH-POSTROUTING - [0:0]\nCOMMIT\n',
    );
    expect(calls.filter((c) => c.includes(' -I '))).toEqual([
      'iptables -w -t filter -I FORWARD 1 -j BERTH-FORWARD',
      'iptables -w -t nat -I POSTROUTING 1 -j BERTH-POSTROUTING',
    ]);
    calls.length = 0;
    await firewall.teardown();
    expect(calls.filter((c) => / -[DFX] /.test(c))).toEqual([
      'iptables -w -t filter -D FORWARD -j BERTH-FORWARD',
      'iptables -w -t nat -D POSTROUTING -j BERTH-POSTROUTING',
      'iptables -w -t filter -F BERTH-FORWARD',
      'iptables -w -t filter -F BERTH-ISOLATION-1',
      'iptables -w -t filter -F BERTH-ISOLATION-2',
      'iptables -w -t nat -F BERTH-POSTROUTING',
      'iptables -w -t filter -X BERTH-FORWARD',
      'iptables -w -t filter -X BERTH-ISOLATION-1',
      'iptables -w -t filter -X BERTH-ISOLATION-2',
      'iptables -w -t nat -X BERTH-POSTROUTING',
    ]);
  });
});
