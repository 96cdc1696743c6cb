// The API version range berthd advertises, and path-prefix negotiation.
// 1.43: CLI 28 and compose v2 work. Of what 1.44 obliges, multi-endpoint create, per-endpoint
// MacAddress, DNSNames and HealthConfig.StartInterval are honoured; still missing: VirtualSize
// omitted from image answers, recursively read-only bind mounts (BindOptions.ReadOnlyNonRecursive
// / ReadOnlyForceRecursive), and CDISpecDirs plus Runtimes[].status in GET /info.
import { InvalidArgumentError } from '../errors';

export const maxApiVersion = '1.43';
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
