import { describe, expect, it } from 'vitest';
import { AddressAllocator, macForAddress, pickSubnet } from './ipam';
import { cidrsOverlap, formatCidr, formatIpv4, parseCidr, parseIpv4 } from './ipv4';

describe('ipv4', () => {
  it('parses and formats addresses and CIDRs', () => {
    expect(formatIpv4(parseIpv4('172.17.0.1'))).toBe('172.17.0.1');
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(formatCidr(parseCidr('10.1.2.3/8'))).toBe('10.0.0.0/8');
    expect(() => parseIpv4('256.1.1.1')).toThrow('invalid IPv4 address');
    expect(() => parseCidr('10.0.0.0/33')).toThrow('invalid CIDR');
    expect(() => parseCidr('10.1.2.3/24', true)).toThrow('use 10.1.2.0/24');
  });

  it('detects overlap in both directions', () => {
    expect(cidrsOverlap(parseCidr('10.0.0.0/8'), parseCidr('10.5.0.0/16'))).toBe(true);
    expect(cidrsOverlap(parseCidr('10.5.0.0/16'), parseCidr('10.0.0.0/8'))).toBe(true);
    expect(cidrsOverlap(parseCidr('10.0.0.0/16'), parseCidr('10.1.0.0/16'))).toBe(false);
  });
});

describe('pickSubnet', () => {
  const pools = [
    { base: '172.17.0.0/16', size: 16 },
    { base: '172.18.0.0/15', size: 16 },
    { base: '192.168.0.0/16', size: 20 },
  ];

  it('takes the first free subnet, skipping host routes and existing networks', () => {
    expect(formatCidr(pickSubnet(pools, []))).toBe('172.17.0.0/16');
    const taken = [parseCidr('172.17.0.0/16'), parseCidr('172.18.5.0/24')];
    expect(formatCidr(pickSubnet(pools, taken))).toBe('172.19.0.0/16');
  });

  it('ignores the default route and moves to the next pool when one is full', () => {
    const taken = [parseCidr('0.0.0.0/0'), parseCidr('172.16.0.0/12'), parseCidr('192.168.0.0/20')];
    expect(formatCidr(pickSubnet(pools, taken))).toBe('192.168.16.0/20');
  });

  it('fails clearly when every pool is used', () => {
    expect(() => pickSubnet(pools.slice(0, 1), [parseCidr('172.17.0.0/16')])).toThrow(
      'could not find an available, non-overlapping IPv4 address pool',
    );
  });
});

describe('AddressAllocator', () => {
  it('skips network, broadcast and reserved addresses, and reuses released ones', () => {
    const allocator = new AddressAllocator(parseCidr('10.0.0.0/30'));
    allocator.reserve(parseIpv4('10.0.0.1'));
    expect(formatIpv4(allocator.allocate())).toBe('10.0.0.2');
    expect(() => allocator.allocate()).toThrow('no available IPv4 addresses in 10.0.0.0/30');
    allocator.release(parseIpv4('10.0.0.2'));
    expect(formatIpv4(allocator.allocate())).toBe('10.0.0.2');
  });

  it('allocates dynamic addresses from the ip-range only', () => {
    const allocator = new AddressAllocator(parseCidr('10.0.0.0/24'), parseCidr('10.0.0.128/25'));
    expect(formatIpv4(allocator.allocate())).toBe('10.0.0.128');
    allocator.reserve(parseIpv4('10.0.0.5'));
    expect(() => allocator.reserve(parseIpv4('10.0.0.5'))).toThrow(
      'Address already in use: 10.0.0.5',
    );
    expect(() => allocator.reserve(parseIpv4('10.0.1.5'))).toThrow('not in subnet 10.0.0.0/24');
    expect(() => allocator.reserve(parseIpv4('10.0.0.255'))).toThrow('broadcast');
    expect(() => new AddressAllocator(parseCidr('10.0.0.0/24'), parseCidr('10.0.1.0/25'))).toThrow(
      'not inside subnet',
    );
  });

  it('derives Docker-style MACs', () => {
    expect(macForAddress(parseIpv4('172.17.0.2'))).toBe('02:42:ac:11:00:02');
  });
});
