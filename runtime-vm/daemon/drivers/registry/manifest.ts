// Manifest and index shapes of the Docker schema2 and OCI image specs, and platform selection.
import { InvalidArgumentError, NotFoundError } from '../../errors';

export const mediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

export const manifestAccept = [
  mediaTypes.dockerManifest,
  mediaTypes.dockerList,
  mediaTypes.ociManifest,
  mediaTypes.ociIndex,
].join(', ');

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform & { 'os.version'?: string };
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export type ParsedManifest =
  { kind: 'manifest'; manifest: ImageManifest } | { kind: 'index'; index: ImageIndex };

function isDescriptor(value: unknown): value is Descriptor {
  const d = value as Descriptor;
  return (
    d !== null &&
    typeof d === 'object' &&
    typeof d.digest === 'string' &&
    /^sha256:[a-f0-9]{64}$/.test(d.digest) &&
    typeof d.size === 'number' &&
    d.size >= 0
  );
}

/** Validates a manifest body; `contentType` is the registry's header (OCI may omit mediaType in the body). */
export function parseManifest(body: Buffer, contentType: string): ParsedManifest {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new InvalidArgumentError('registry answered with a manifest that is not JSON');
  }
  const mediaType =
    typeof json['mediaType'] === 'string'
      ? (json['mediaType'] as string)
      : (contentType.split(';')[0]?.trim() ?? '');
  if (json['schemaVersion'] !== 2) {
    throw new InvalidArgumentError(
      `unsupported manifest schema version ${String(json['schemaVersion'])} (schema 1 images are not supported)`,
    );
  }
  if (
    Array.isArray(json['manifests']) ||
    mediaType === mediaTypes.dockerList ||
    mediaType === mediaTypes.ociIndex
  ) {
    const manifests = json['manifests'];
    if (!Array.isArray(manifests) || !manifests.every(isDescriptor)) {
      throw new InvalidArgumentError('registry answered with a malformed image index');
    }
    return { kind: 'index', index: { schemaVersion: 2, mediaType, manifests } };
  }
  const config = json['config'];
  const layers = json['layers'];
  if (!isDescriptor(config) || !Array.isArray(layers) || !layers.every(isDescriptor)) {
    throw new InvalidArgumentError('registry answered with a malformed image manifest');
  }
  return { kind: 'manifest', manifest: { schemaVersion: 2, mediaType, config, layers } };
}

/** `linux/amd64`, `linux/arm64/v8` → Platform. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.toLowerCase().split('/');
  if (!os || !architecture) {
    throw new InvalidArgumentError(`invalid platform '${text}': expected os/arch[/variant]`);
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function hostPlatform(): Platform {
  const archMap: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    s390x: 's390x',
    ppc64: 'ppc64le',
  };
  return { os: 'linux', architecture: archMap[process.arch] ?? process.arch };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Picks the index entry for `want`; attestation manifests (unknown/unknown) are never chosen. */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor {
  const candidates = index.manifests.filter(
    (m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture,
  );
  const exact = candidates.find((m) =>
    want.variant ? m.platform?.variant === want.variant : true,
  );
  const chosen = exact ?? (want.variant ? undefined : candidates[0]);
  if (!chosen) {
    const available = index.manifests
      .filter((m) => m.platform && m.platform.os !== 'unknown')
      .map((m) => formatPlatform(m.platform as Platform));
    throw new NotFoundError(
      `no matching manifest for ${formatPlatform(want)} in the manifest list entries (available: ${available.join(', ') || 'none'})`,
    );
  }
  return chosen;
}
