import { describe, expect, it } from 'vitest';
import { parseHostPorts, parsePortKey, publishRequests } from './port-bindings';

describe('port bindings', () => {
  it('parses port keys and host port ranges', () => {
    expect(parsePortKey('80/tcp')).toEqual({ port: 80, protocol: 'tcp' });
    expect(parsePortKey('53/udp')).toEqual({ port: 53, protocol: 'udp' });
    expect(parsePortKey('8080')).toEqual({ port: 8080, protocol: 'tcp' });
    expect(() => parsePortKey('80/sctp')).toThrow('sctp ports are not supported');
    expect(() => parsePortKey('http/tcp')).toThrow('invalid container port');
    expect(parseHostPorts('')).toEqual([0, 0]);
    expect(parseHostPorts('8000-8010')).toEqual([8000, 8010]);
    expect(() => parseHostPorts('9000-8000')).toThrow('invalid host port range: 9000-8000');
    expect(() => parseHostPorts('70000')).toThrow('over 65535');
  });

  it('expands bindings, and -P adds the unbound exposed ports', () => {
    const requests = publishRequests(
      { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostPort: '' }] },
      { '80/tcp': {}, '53/udp': {} },
      true,
    );
    expect(requests).toEqual([
      { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPorts: [8080, 8080] },
      { containerPort: 80, protocol: 'tcp', hostIp: '', hostPorts: [0, 0] },
      { containerPort: 53, protocol: 'udp', hostIp: '', hostPorts: [0, 0] },
    ]);
    expect(publishRequests(null, { '80/tcp': {} }, false)).toEqual([]);
    expect(() => publishRequests({ '80/tcp': [{ HostIp: 'localhost' }] }, {}, false)).toThrow(
      'invalid host IP',
    );
  });
});
