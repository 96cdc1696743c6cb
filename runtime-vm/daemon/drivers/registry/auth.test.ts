import { describe, expect, it } from 'vitest';
import { basicAuthorization, decodeRegistryAuth, parseChallenges } from './auth';

describe('registry auth helpers', () => {
  it('parses bearer and basic challenges', () => {
    const [bearer] = parseChallenges(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
    );
    expect(bearer).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull,push',
      },
    });
    expect(parseChallenges(['Basic realm="Registry Realm"'])[0]?.scheme).toBe('basic');
  });

  it('decodes X-Registry-Auth in base64url and base64, and treats junk as anonymous', () => {
    const json = JSON.stringify({ username: 'u?>', password: 'p~~', serveraddress: 'x' });
    expect(decodeRegistryAuth(Buffer.from(json).toString('base64url'))).toMatchObject({
      username: 'u?>',
      password: 'p~~',
    });
    expect(decodeRegistryAuth(Buffer.from(json).toString('base64'))).toMatchObject({
      username: 'u?>',
      password: 'p~~',
    });
    expect(decodeRegistryAuth('e30=')).toEqual({
      username: undefined,
      password: undefined,
      identityToken: undefined,
      registryToken: undefined,
    });
    expect(decodeRegistryAuth('%%%not-base64')).toEqual({});
    expect(basicAuthorization({ username: 'a', password: 'b' })).toBe('Basic YTpi');
  });
});
