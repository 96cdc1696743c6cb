import { describe, expect, it } from 'vitest';
import { extraHostLines, renderHosts, renderResolvConf } from './host-files';

const host = 'nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n';

describe('resolv.conf', () => {
  it('drops loopback nameservers for a private network namespace', () => {
    expect(renderResolvConf(host, {}, false)).toBe(
      'nameserver 10.0.0.2\nsearch corp.example\noptions edns0\n',
    );
  });

  it('keeps them with the host network; falls back to public DNS when none remain', () => {
    expect(renderResolvConf(host, {}, true)).toContain('nameserver 127.0.0.53');
    expect(renderResolvConf('nameserver 127.0.0.1\n', {}, false)).toBe(
      'nameserver 8.8.8.8\nnameserver 8.8.4.4\n',
    );
  });

  it('--dns, --dns-search and --dns-option override', () => {
    expect(
      renderResolvConf(
        host,
        { dns: ['1.1.1.1'], dnsSearch: ['a.b'], dnsOptions: ['ndots:2'] },
        false,
      ),
    ).toBe('nameserver 1.1.1.1\nsearch a.b\noptions ndots:2\n');
  });
});

describe('hosts', () => {
  it('has localhost entries and --add-host lines', () => {
    const text = renderHosts(['db:10.0.0.5', 'gw=host-gateway']);
    expect(text.startsWith('127.0.0.1\tlocalhost\n')).toBe(true);
    expect(text).toContain('10.0.0.5\tdb\n');
    expect(text).toContain('127.0.0.1\tgw\n');
  });

  it('rejects malformed --add-host', () => {
    expect(() => extraHostLines(['nohost'])).toThrow(
      'invalid argument "nohost" for "--add-host" flag',
    );
    expect(() => extraHostLines(['db:not-an-ip'])).toThrow('invalid IP address');
  });
});
