// Pushing an image: upload every blob the registry does not have yet (HEAD first), then the
// manifest. Reuses the pulled manifest bytes when they still describe the image, so a pushed
// image keeps its digest.
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../errors';
import type { RegistryCredentials } from '../../drivers/registry/auth';
import type { RegistryClient } from '../../drivers/registry/client';
import { mediaTypes, parseManifest } from '../../drivers/registry/manifest';
import {
  familiarString,
  repositoryName,
  type ImageReference,
} from '../../drivers/registry/reference';
import { sha256Digest, type BlobStore } from '../../store/blob-store';
import type { ImageRecord, ImageStore, LayerDescriptorRecord } from '../../store/image-store';
import { Limiter } from './limiter';
import { shortId, ThrottledProgress, type ProgressSink } from './progress';

export interface PushDeps {
  blobs: BlobStore;
  images: ImageStore;
  registry: RegistryClient;
}

const dockerLayerTypes = new Set<string>([mediaTypes.dockerLayerGzip, mediaTypes.dockerLayerTar]);

/** The manifest to push: the stored one if it still matches our blobs, otherwise a fresh one. */
async function manifestFor(
  blobs: BlobStore,
  record: ImageRecord,
): Promise<{ body: Buffer; mediaType: string }> {
  if (record.manifestDigest && (await blobs.has(record.manifestDigest))) {
    const body = await blobs.read(record.manifestDigest);
    const parsed = parseManifest(body, record.manifestMediaType ?? '');
    if (
      parsed.kind === 'manifest' &&
      parsed.manifest.config.digest === record.id &&
      parsed.manifest.layers.length === record.layers.length &&
      parsed.manifest.layers.every((l, i) => l.digest === record.layers[i]?.blobDigest)
    ) {
      return { body, mediaType: parsed.manifest.mediaType ?? mediaTypes.dockerManifest };
    }
  }
  const docker = record.layers.every((l) => dockerLayerTypes.has(l.blobMediaType));
  const configSize = await blobs.size(record.id);
  const manifest = {
    schemaVersion: 2,
    mediaType: docker ? mediaTypes.dockerManifest : mediaTypes.ociManifest,
    config: {
      mediaType: docker ? mediaTypes.dockerConfig : mediaTypes.ociConfig,
      digest: record.id,
      size: configSize,
    },
    layers: record.layers.map((l) => ({
      mediaType: l.blobMediaType,
      digest: l.blobDigest,
      size: l.blobSize,
    })),
  };
  return { body: Buffer.from(JSON.stringify(manifest, null, 3)), mediaType: manifest.mediaType };
}

export async function pushImage(
  deps: PushDeps,
  request: {
    record: ImageRecord;
    ref: ImageReference & { tag: string };
    credentials: RegistryCredentials;
    signal?: AbortSignal;
    onProgress: ProgressSink;
  },
): Promise<string> {
  const { record, ref, signal, onProgress } = request;
  const session = deps.registry.session(ref.domain, ref.path, request.credentials, true);
  for (const layer of record.layers) {
    if (!(await deps.blobs.has(layer.blobDigest))) {
      throw new InvalidArgumentError(
        `cannot push ${familiarString(ref)}: the blob of layer ${layer.diffId} is not stored locally`,
      );
    }
  }
  onProgress({ status: `The push refers to repository [${repositoryName(ref)}]` });
  const limiter = new Limiter(3);
  const unique = new Map<string, LayerDescriptorRecord>();
  for (const layer of record.layers) unique.set(layer.blobDigest, layer);
  const layers = [...unique.values()].reverse();
  for (const layer of layers)
    onProgress({ status: 'Preparing', progressDetail: {}, id: shortId(layer.diffId) });
  const uploadOne = async (digest: string, size: number, id: string | undefined) => {
    if (await session.hasBlob(digest, signal)) {
      if (id) onProgress({ status: 'Layer already exists', progressDetail: {}, id });
      return;
    }
    const progress = id ? new ThrottledProgress(onProgress, id, 'Pushing', size) : undefined;
    await session.uploadBlob(
      digest,
      size,
      () => {
        const stream = deps.blobs.createReadStream(digest) as Readable;
        let sent = 0;
        stream.on('data', (chunk: Buffer) => {
          sent += chunk.length;
          progress?.update(sent);
        });
        return stream;
      },
      signal,
    );
    if (id) onProgress({ status: 'Pushed', progressDetail: {}, id });
  };
  const results = await Promise.allSettled(
    layers.map((layer) =>
      limiter.run(
        () => uploadOne(layer.blobDigest, layer.blobSize, shortId(layer.diffId)),
        () => onProgress({ status: 'Waiting', progressDetail: {}, id: shortId(layer.diffId) }),
      ),
    ),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  await uploadOne(record.id, await deps.blobs.size(record.id), undefined);
  const manifest = await manifestFor(deps.blobs, record);
  await session.putManifest(ref.tag, manifest.mediaType, manifest.body, signal);
  const digest = sha256Digest(manifest.body);
  await deps.blobs.put(manifest.body);
  const repoDigest = `${repositoryName(ref)}@${digest}`;
  if (!record.repoDigests.includes(repoDigest)) {
    await deps.images.setRepoDigests(record.id, [...record.repoDigests, repoDigest]);
  }
  onProgress({ status: `${ref.tag}: digest: ${digest} size: ${manifest.body.length}` });
  onProgress({
    progressDetail: {},
    aux: { Tag: ref.tag, Digest: digest, Size: manifest.body.length },
  });
  return digest;
}
