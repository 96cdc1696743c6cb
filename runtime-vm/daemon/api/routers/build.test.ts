// X-Registry-Config as the docker CLI, dockerode and compose send it: base64 JSON of auth
// configs keyed by registry, with either username/password or the combined `auth` field.
import { describe, expect, it } from 'vitest';
import { registryConfig } from './build';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('registryConfig', () => {
  it('maps each registry to its credentials, decoding `auth` and Docker Hub aliases', () => {
    const config = registryConfig(
      encode({
        'https://index.docker.io/v1/': { username: 'hub', password: 'secret' },
        '127.0.0.1:5000': { auth: Buffer.from('local:pass').toString('base64') },
        'registry.example': { identitytoken: 'refresh' },
      }),
    );
    expect(config.get('docker.io')).toEqual({ username: 'hub', password: 'secret' });
    expect(config.get('127.0.0.1:5000')).toEqual({ username: 'local', password: 'pass' });
    expect(config.get('registry.example')).toEqual({ identityToken: 'refresh' });
  });

  it('ignores a missing or unreadable header, as dockerd does', () => {
    expect(registryConfig(undefined).size).toBe(0);
    expect(registryConfig('not base64 json').size).toBe(0);
    expect(registryConfig(encode({ 'x.example': 'not an object' })).size).toBe(0);
  });
});
