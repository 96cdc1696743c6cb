import { describe, expect, it } from 'vitest';
import {
  cidr6Contains,
  cidrs6Overlap,
  formatCidr6,
  formatIpv6,
  Ipv6Allocator,
  parseCidr6,
  parseIpv6,
} from './ipv6';

describe('ipv6', () => {
  it('parses and formats addresses in RFC 5952 form', () => {
    expect(formatIpv6(parseIpv6('fd00:0:0:0:0:0:0:1'))).toBe('fd00::1');
    expect(formatIpv6(parseIpv6('::'))).toBe('::');
    expect(formatIpv6(parseIpv6('2001:DB8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(parseIpv6('1:2:3:4:5:6:7:8'))).toBe('1:2:3:4:5:6:7:8');
    expect(formatIpv6(parseIpv6('fd00:1::'))).toBe('fd00:1::');
    for (const bad of ['fd00:::1', '1:2:3:4:5:6:7', '1::2::3', 'fd00::g', '10.0.0.1', '']) {
      expect(() => parseIpv6(bad)).toThrow('invalid IPv6 address');
    }
  });

  it('handles subnets: strict host bits, containment and overlap', () => {
    expect(formatCidr6(parseCidr6('fd00:1::/64', true))).toBe('fd00:1::/64');
    expect(() => parseCidr6('fd00:1::5/64', true)).toThrow('use fd00:1::/64');
    expect(() => parseCidr6('fd00::/129')).toThrow('invalid CIDR');
    const net = parseCidr6('fd00:1::/64');
    expect(cidr6Contains(net, parseIpv6('fd00:1::ffff'))).toBe(true);
    expect(cidr6Contains(net, parseIpv6('fd00:2::1'))).toBe(false);
    expect(cidrs6Overlap(net, parseCidr6('fd00::/16'))).toBe(true);
    expect(cidrs6Overlap(net, parseCidr6('fd00:2::/64'))).toBe(false);
  });

  it('allocates the lowest free address and reuses released ones', () => {
    const allocator = new Ipv6Allocator(parseCidr6('fd00:1::/64'));
    allocator.reserve(parseIpv6('fd00:1::1'));
    expect(formatIpv6(allocator.allocate())).toBe('fd00:1::2');
    expect(formatIpv6(allocator.allocate())).toBe('fd00:1::3');
    allocator.release(parseIpv6('fd00:1::2'));
    expect(formatIpv6(allocator.allocate())).toBe('fd00:1::2');
    expect(() => allocator.reserve(parseIpv6('fd00:2::1'))).toThrow('no address fd00:2::1');
  });
});
