// POST /containers/create as each API version understands it. Fields a client's version did not
// have yet are reset or refused (as dockerd does), and the container-wide Config.MacAddress
// (deprecated in 1.44) moves to the endpoint of the container's main network. Mutates the
// request body and returns the warnings to add to the answer.
import { InvalidArgumentError } from '../../errors';
import { compareVersions } from '../version';

interface EndpointBody {
  MacAddress?: string;
  [key: string]: unknown;
}

interface MountBody {
  Type?: string;
  ReadOnly?: boolean;
  BindOptions?: { ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean } | null;
  VolumeOptions?: { Subpath?: string } | null;
}

/** The parts of a create request whose meaning depends on the API version. */
export interface VersionedCreateBody {
  MacAddress?: string;
  Healthcheck?: { StartInterval?: number } | null;
  HostConfig?: { NetworkMode?: string; Mounts?: MountBody[] | null } | null;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointBody | null> | null } | null;
}

export const macAddressDeprecationWarning =
  'The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead.';

const older = (apiVersion: string, version: string) => compareVersions(apiVersion, version) < 0;

/** '' and 'default' mean the default bridge on Linux. */
function networkModeName(mode: string | undefined): string {
  return !mode || mode === 'default' ? 'bridge' : mode;
}

function isBridgeOrUserDefined(name: string): boolean {
  return name !== 'host' && name !== 'none' && !name.startsWith('container:');
}

/**
 * The endpoint settings of the container's main network, created when EndpointsConfig is
 * empty. With several entries, one must be keyed by the NetworkMode's name (dockerd cannot tell
 * which one is meant otherwise); below 1.44 there is at most one entry, and it is that network.
 */
function mainEndpoint(
  body: VersionedCreateBody,
  modeName: string,
  defaultMode: boolean,
  apiVersion: string,
): EndpointBody {
  body.NetworkingConfig ??= {};
  const endpoints = (body.NetworkingConfig.EndpointsConfig ??= {});
  const keys = Object.keys(endpoints);
  if (keys.length === 0) {
    const created: EndpointBody = {};
    endpoints[modeName] = created;
    return created;
  }
  const key = older(apiVersion, '1.44')
    ? keys[0]
    : keys.find((k) => k === modeName || (defaultMode && k === 'default'));
  if (key === undefined) {
    throw new InvalidArgumentError(
      'unable to migrate container-wide MAC address to a specific network: HostConfig.NetworkMode must match the identity of a network in NetworkSettings.Networks',
    );
  }
  const existing = endpoints[key];
  if (existing && typeof existing === 'object') return existing;
  const created: EndpointBody = {};
  endpoints[key] = created;
  return created;
}

const sameMac = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

const objectOrAbsent = (value: unknown) =>
  value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value));

function migrateMacAddress(body: VersionedCreateBody, apiVersion: string): string | undefined {
  const networking = body.NetworkingConfig;
  if (!objectOrAbsent(networking) || !objectOrAbsent(networking?.EndpointsConfig)) {
    return undefined; // malformed: the container service refuses it
  }
  const mac = typeof body.MacAddress === 'string' ? body.MacAddress.trim() : '';
  const mode = body.HostConfig?.NetworkMode;
  const modeName = networkModeName(mode);
  const defaultMode = !mode || mode === 'default';
  if (older(apiVersion, '1.44')) {
    if (mac === '') {
      // These clients had no per-endpoint MAC address: whatever is there was never meant.
      for (const endpoint of Object.values(body.NetworkingConfig?.EndpointsConfig ?? {})) {
        if (endpoint && typeof endpoint === 'object') delete endpoint.MacAddress;
      }
      return undefined;
    }
    if (!isBridgeOrUserDefined(modeName)) {
      throw new InvalidArgumentError('conflicting options: mac-address and the network mode');
    }
    mainEndpoint(body, modeName, defaultMode, apiVersion).MacAddress = mac;
    return undefined;
  }
  if (mac === '') return undefined;
  if (isBridgeOrUserDefined(modeName)) {
    const endpoint = mainEndpoint(body, modeName, defaultMode, apiVersion);
    if (!endpoint.MacAddress) endpoint.MacAddress = mac;
    else if (!sameMac(endpoint.MacAddress, mac)) {
      throw new InvalidArgumentError(
        'the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty',
      );
    }
  }
  return macAddressDeprecationWarning;
}

/** Applies the version rules to `body` in place; returns warnings for the create answer. */
export function adaptCreateRequest(body: VersionedCreateBody, apiVersion: string): string[] {
  // Malformed shapes are left for the container service to refuse with its own messages.
  const rawMounts: unknown = body.HostConfig?.Mounts;
  const mounts = (Array.isArray(rawMounts) ? rawMounts : []).filter(
    (mount): mount is MountBody => mount !== null && typeof mount === 'object',
  );
  if (older(apiVersion, '1.44')) {
    // HealthConfig.StartInterval arrived in 1.44.
    if (body.Healthcheck && typeof body.Healthcheck === 'object') {
      delete body.Healthcheck.StartInterval;
    }
    for (const mount of mounts) {
      if (mount.Type !== 'bind') continue;
      if (mount.BindOptions?.ReadOnlyForceRecursive) {
        throw new InvalidArgumentError(
          'BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer',
        );
      }
      // Before 1.44 read-only binds were never recursively read-only; keep it so.
      if (mount.ReadOnly && objectOrAbsent(mount.BindOptions)) {
        mount.BindOptions = { ...mount.BindOptions, ReadOnlyNonRecursive: true };
      }
    }
    const endpoints = body.NetworkingConfig?.EndpointsConfig;
    const networks = objectOrAbsent(endpoints) ? Object.keys(endpoints ?? {}) : [];
    if (networks.length > 1) {
      throw new InvalidArgumentError(
        `Container cannot be created with multiple network endpoints: ${networks.join(', ')}`,
      );
    }
  }
  if (older(apiVersion, '1.45')) {
    for (const mount of mounts) {
      if (mount.VolumeOptions?.Subpath) {
        throw new InvalidArgumentError('VolumeOptions.Subpath needs API v1.45 or newer');
      }
    }
  }
  const warning = migrateMacAddress(body, apiVersion);
  return warning ? [warning] : [];
}
