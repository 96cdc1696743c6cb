// The API version range berthd advertises, and path-prefix negotiation.
// 1.45: everything 1.44 and 1.45 oblige is honoured (see the version-history paragraph of
// docs/ARCHITECTURE.md): multi-endpoint create, per-endpoint MacAddress (the container-wide one is
// migrated with a warning), DNSNames, HealthConfig.StartInterval, recursively read-only binds
// (BindOptions.ReadOnlyNonRecursive / ReadOnlyForceRecursive), CDISpecDirs and Runtimes[].status
// in /info, no VirtualSize / Container / ContainerConfig in image answers, the images `until`
// filter, VolumeOptions.Subpath, and Aliases exactly as given. 1.46 is not offered: it obliges
// per-endpoint sysctls (com.docker.network.endpoint.sysctls in EndpointsConfig.DriverOpts) and
// annotations in GET /containers/json, which berthd does not have.
import { InvalidArgumentError } from '../errors';

export const maxApiVersion = '1.45';
export const minApiVersion = '1.24';

export function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor !== bMajor ? aMajor - bMajor : aMinor - bMinor;
}

export interface VersionedPath {
  apiVersion: string;
  path: string;
}

/** Splits `/v1.41/containers/json` into version and path; unversioned paths get the maximum. */
export function splitVersion(pathname: string): VersionedPath {
  const m = /^\/v(\d+\.\d+)(\/.*)?$/.exec(pathname);
  if (!m) return { apiVersion: maxApiVersion, path: pathname };
  const apiVersion = m[1] as string;
  if (compareVersions(apiVersion, maxApiVersion) > 0) {
    throw new InvalidArgumentError(
      `client version ${apiVersion} is too new. Maximum supported API version is ${maxApiVersion}`,
    );
  }
  if (compareVersions(apiVersion, minApiVersion) < 0) {
    throw new InvalidArgumentError(
      `client version ${apiVersion} is too old. Minimum supported API version is ${minApiVersion}, please upgrade your client to a newer version`,
    );
  }
  return { apiVersion, path: m[2] ?? '/' };
}
