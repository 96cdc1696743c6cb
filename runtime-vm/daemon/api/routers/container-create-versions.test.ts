import { describe, expect, it } from 'vitest';
import {
  adaptCreateRequest,
  macAddressDeprecationWarning,
  type VersionedCreateBody,
} from './container-create-versions';

const mac = '02:42:ac:11:00:99';

describe('create requests below 1.44', () => {
  it('drops HealthConfig.StartInterval and keeps read-only --mount binds non-recursive', () => {
    const body: VersionedCreateBody = {
      Healthcheck: { StartInterval: 5 },
      HostConfig: {
        Mounts: [
          { Type: 'bind', ReadOnly: true },
          { Type: 'bind', ReadOnly: false },
          { Type: 'volume', ReadOnly: true },
        ],
      },
    };
    expect(adaptCreateRequest(body, '1.43')).toEqual([]);
    expect(body.Healthcheck).toEqual({});
    expect(body.HostConfig?.Mounts?.map((m) => m.BindOptions)).toEqual([
      { ReadOnlyNonRecursive: true },
      undefined,
      undefined,
    ]);
  });

  it('leaves newer requests alone', () => {
    const body: VersionedCreateBody = {
      Healthcheck: { StartInterval: 5 },
      HostConfig: { Mounts: [{ Type: 'bind', ReadOnly: true }] },
    };
    expect(adaptCreateRequest(body, '1.44')).toEqual([]);
    expect(body.Healthcheck).toEqual({ StartInterval: 5 });
    expect(body.HostConfig?.Mounts?.[0]?.BindOptions).toBeUndefined();
  });

  it("refuses what these versions did not have, with dockerd's messages", () => {
    expect(() =>
      adaptCreateRequest(
        {
          HostConfig: { Mounts: [{ Type: 'bind', BindOptions: { ReadOnlyForceRecursive: true } }] },
        },
        '1.43',
      ),
    ).toThrow('BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer');
    expect(() =>
      adaptCreateRequest({ NetworkingConfig: { EndpointsConfig: { a: {}, b: {} } } }, '1.43'),
    ).toThrow('Container cannot be created with multiple network endpoints: a, b');
    const subpath = {
      HostConfig: { Mounts: [{ Type: 'volume', VolumeOptions: { Subpath: 'x' } }] },
    };
    expect(() => adaptCreateRequest(subpath, '1.44')).toThrow(
      'VolumeOptions.Subpath needs API v1.45 or newer',
    );
    expect(adaptCreateRequest(subpath, '1.45')).toEqual([]);
  });
});

describe('container-wide MacAddress', () => {
  it('below 1.44 moves it to the only endpoint and ignores endpoint MACs without it', () => {
    const body: VersionedCreateBody = { MacAddress: mac, HostConfig: { NetworkMode: 'mynet' } };
    expect(adaptCreateRequest(body, '1.43')).toEqual([]);
    expect(body.NetworkingConfig?.EndpointsConfig).toEqual({ mynet: { MacAddress: mac } });
    const keyedById: VersionedCreateBody = {
      MacAddress: mac,
      HostConfig: { NetworkMode: 'abc123' },
      NetworkingConfig: { EndpointsConfig: { mynet: {} } },
    };
    adaptCreateRequest(keyedById, '1.43');
    expect(keyedById.NetworkingConfig?.EndpointsConfig).toEqual({ mynet: { MacAddress: mac } });
    const stray: VersionedCreateBody = {
      NetworkingConfig: { EndpointsConfig: { bridge: { MacAddress: mac, Aliases: ['a'] } } },
    };
    adaptCreateRequest(stray, '1.43');
    expect(stray.NetworkingConfig?.EndpointsConfig).toEqual({ bridge: { Aliases: ['a'] } });
    expect(() =>
      adaptCreateRequest({ MacAddress: mac, HostConfig: { NetworkMode: 'host' } }, '1.43'),
    ).toThrow('conflicting options: mac-address and the network mode');
  });

  it('from 1.44 moves it to the main network with a deprecation warning', () => {
    const body: VersionedCreateBody = { MacAddress: mac };
    expect(adaptCreateRequest(body, '1.45')).toEqual([macAddressDeprecationWarning]);
    expect(body.NetworkingConfig?.EndpointsConfig).toEqual({ bridge: { MacAddress: mac } });
    const matching: VersionedCreateBody = {
      MacAddress: mac.toUpperCase(),
      HostConfig: { NetworkMode: 'default' },
      NetworkingConfig: { EndpointsConfig: { default: { MacAddress: mac }, other: {} } },
    };
    expect(adaptCreateRequest(matching, '1.44')).toEqual([macAddressDeprecationWarning]);
    // host networking has no endpoint to move it to: only the warning.
    expect(adaptCreateRequest({ MacAddress: mac, HostConfig: { NetworkMode: 'host' } }, '1.44'))
      .toEqual([macAddressDeprecationWarning]); // prettier-ignore
  });

  it('from 1.44 refuses a mismatch or an ambiguous main network', () => {
    expect(() =>
      adaptCreateRequest(
        {
          MacAddress: mac,
          NetworkingConfig: { EndpointsConfig: { bridge: { MacAddress: '02:42:ac:11:00:01' } } },
        },
        '1.44',
      ),
    ).toThrow(
      'the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty',
    );
    expect(() =>
      adaptCreateRequest(
        {
          MacAddress: mac,
          HostConfig: { NetworkMode: 'front' },
          NetworkingConfig: { EndpointsConfig: { back: {} } },
        },
        '1.44',
      ),
    ).toThrow(
      'unable to migrate container-wide MAC address to a specific network: HostConfig.NetworkMode must match the identity of a network in NetworkSettings.Networks',
    );
  });
});

describe('malformed requests', () => {
  it('leaves them for the container service to refuse', () => {
    const odd = {
      MacAddress: mac,
      Healthcheck: 'often',
      HostConfig: { Mounts: { Type: 'bind' } },
      NetworkingConfig: { EndpointsConfig: 'bridge' },
    } as unknown as VersionedCreateBody;
    expect(adaptCreateRequest(odd, '1.43')).toEqual([]);
    expect(adaptCreateRequest(odd, '1.45')).toEqual([]);
    expect(odd.NetworkingConfig?.EndpointsConfig).toBe('bridge');
  });
});
