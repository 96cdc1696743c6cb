import { describe, expect, it } from 'vitest';
import { publishedPorts } from './port-watcher';

describe('publishedPorts', () => {
  it('keeps published ports once each, in order, and skips unpublished ones', () => {
    expect(
      publishedPorts([
        {
          Ports: [
            { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
            { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
            { PrivatePort: 443, Type: 'tcp' },
          ],
        },
        { Ports: [{ IP: '127.0.0.1', PrivatePort: 53, PublicPort: 5353, Type: 'udp' }] },
        {},
      ]),
    ).toEqual([
      { protocol: 'udp', hostIp: '127.0.0.1', hostPort: 5353 },
      { protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 },
    ]);
  });
});
