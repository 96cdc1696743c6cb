// Pulling an image: resolve the manifest (picking the platform from an index), fetch and verify
// the config, then download every missing layer concurrently while unpacking it, verifying both
// the compressed digest and the diffID before anything is published.
import { PassThrough, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errorMessage, InvalidArgumentError, NotFoundError } from '../../errors';
import type { Logger } from '../../logger';
import type { RegistryCredentials } from '../../drivers/registry/auth';
import type { RegistryClient, RegistrySession } from '../../drivers/registry/client';
import {
  formatPlatform,
  parseManifest,
  selectPlatform,
  type Descriptor,
  type ImageManifest,
  type Platform,
} from '../../drivers/registry/manifest';
import {
  familiarName,
  familiarString,
  canonicalString,
  repositoryName,
  type ImageReference,
} from '../../drivers/registry/reference';
import { compressionOfMediaType, createDecompressor } from '../../drivers/snapshots/decompress';
import type { LayerStore, PendingLayer } from '../../drivers/snapshots/layer-store';
import { sha256Digest, type BlobStore } from '../../store/blob-store';
import { OffThreadDigestingStream } from '../../store/offthread-digest';
import type { ImageRecord, ImageStore, LayerDescriptorRecord } from '../../store/image-store';
import { parseImageConfig } from './image-config';
import { LayerFanOut } from './layer-fan-out';
import { Limiter } from './limiter';
import { SharedJob } from './shared-job';
import { shortId, ThrottledProgress, type ProgressSink } from './progress';

export interface PullDeps {
  blobs: BlobStore;
  layers: LayerStore;
  images: ImageStore;
  registry: RegistryClient;
  logger: Logger;
}

export interface PullRequest {
  ref: ImageReference;
  platform: Platform;
  credentials: RegistryCredentials;
  signal?: AbortSignal;
  onProgress: ProgressSink;
}

const downloadConcurrency = 3;

function settle<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return Promise.allSettled([promise]).then(([result]) => result as PromiseSettledResult<T>);
}

export class Puller {
  private readonly limiter = new Limiter(downloadConcurrency);
  /** Layers being fetched right now, so two pulls sharing a layer download it once. */
  private readonly inFlight = new Map<string, SharedJob<LayerDescriptorRecord>>();
  /**
   * Layers and blobs a running pull relies on but has not registered yet: an image removal at
   * that moment must not delete them ("Already exists" would point at nothing).
   */
  private readonly held = new Map<string, number>();

  constructor(private readonly deps: PullDeps) {}

  async pull(request: PullRequest): Promise<{ record: ImageRecord; upToDate: boolean }> {
    const { ref, signal, onProgress } = request;
    const { images, registry } = this.deps;
    const session = registry.session(ref.domain, ref.path, request.credentials);
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const top = await session.getManifest(reference, signal);
    const topDigest = sha256Digest(top.body);
    if (ref.digest && topDigest !== ref.digest) {
      throw new InvalidArgumentError(
        `manifest digest mismatch for ${familiarString(ref)}: registry sent ${topDigest}`,
      );
    }
    const parsed = parseManifest(top.body, top.contentType);
    let manifest: ImageManifest;
    let manifestBody = top.body;
    let manifestMediaType = parsed.kind === 'manifest' ? (parsed.manifest.mediaType ?? '') : '';
    if (parsed.kind === 'index') {
      const chosen: Descriptor = selectPlatform(parsed.index, request.platform);
      const child = await session.getManifest(chosen.digest, signal);
      if (sha256Digest(child.body) !== chosen.digest) {
        throw new InvalidArgumentError(`manifest digest mismatch for ${chosen.digest}`);
      }
      const childParsed = parseManifest(child.body, child.contentType);
      if (childParsed.kind !== 'manifest')
        throw new InvalidArgumentError('nested image indexes are not supported');
      manifest = childParsed.manifest;
      manifestBody = child.body;
      manifestMediaType = childParsed.manifest.mediaType ?? chosen.mediaType;
    } else {
      manifest = parsed.manifest;
    }

    const configBody = await session.getSmallBlob(manifest.config.digest, signal);
    if (sha256Digest(configBody) !== manifest.config.digest) {
      throw new InvalidArgumentError(
        `config digest mismatch: expected ${manifest.config.digest}, got ${sha256Digest(configBody)}`,
      );
    }
    const config = parseImageConfig(configBody);
    if (
      parsed.kind === 'manifest' &&
      (config.os !== request.platform.os || config.architecture !== request.platform.architecture)
    ) {
      throw new NotFoundError(
        `image ${familiarString(ref)} is for ${formatPlatform({ os: config.os, architecture: config.architecture, variant: config.variant })}, not ${formatPlatform(request.platform)}`,
      );
    }
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) {
      throw new InvalidArgumentError(
        `manifest has ${manifest.layers.length} layers but the config lists ${diffIds.length}`,
      );
    }
    for (const layer of manifest.layers) compressionOfMediaType(layer.mediaType);

    // The status is decided: from here on errors travel in-band.
    onProgress({
      status: `Pulling from ${familiarName(ref)}`,
      id: ref.digest ?? ref.tag ?? 'latest',
    });
    const id = manifest.config.digest;
    const tagRef =
      ref.tag !== undefined ? canonicalString({ ...ref, digest: undefined }) : undefined;
    const previous = tagRef ? images.tagTarget(tagRef) : undefined;
    const holds = [id, ...diffIds, ...manifest.layers.map((l) => l.digest)];
    this.hold(holds);
    try {
      return await this.register(request, {
        id,
        tagRef,
        previous,
        topDigest,
        configBody,
        manifestBody,
        manifestMediaType,
        config,
        layerRecords: await this.fetchLayers(session, manifest.layers, diffIds, request),
      });
    } finally {
      this.release(holds);
    }
  }

  /** True while a running pull relies on this layer (diffID) or blob (digest). */
  isHeld(digest: string): boolean {
    return this.held.has(digest);
  }

  private hold(keys: string[]): void {
    for (const key of keys) this.held.set(key, (this.held.get(key) ?? 0) + 1);
  }

  private release(keys: string[]): void {
    for (const key of keys) {
      const count = (this.held.get(key) ?? 1) - 1;
      if (count <= 0) this.held.delete(key);
      else this.held.set(key, count);
    }
  }

  private async register(
    request: PullRequest,
    pulled: {
      id: string;
      tagRef: string | undefined;
      previous: string | undefined;
      topDigest: string;
      configBody: Buffer;
      manifestBody: Buffer;
      manifestMediaType: string;
      config: { created?: string };
      layerRecords: LayerDescriptorRecord[];
    },
  ): Promise<{ record: ImageRecord; upToDate: boolean }> {
    const { ref, onProgress } = request;
    const { blobs, images } = this.deps;
    const {
      id,
      tagRef,
      previous,
      topDigest,
      configBody,
      manifestBody,
      manifestMediaType,
      config,
      layerRecords,
    } = pulled;
    await blobs.put(configBody);
    const manifestDigest = await blobs.put(manifestBody);
    const record: ImageRecord = {
      id,
      layers: layerRecords,
      manifestDigest,
      manifestMediaType,
      repoDigests: [`${repositoryName(ref)}@${topDigest}`],
      size: await this.sizeOf(layerRecords),
      created: config.created ?? new Date(0).toISOString(),
      loadedAt: new Date().toISOString(),
    };
    await images.save(record, tagRef ? [tagRef] : []);
    onProgress({ status: `Digest: ${topDigest}` });
    const upToDate = previous === id;
    onProgress({
      status: `Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarString(ref)}`,
    });
    return { record, upToDate };
  }

  private async sizeOf(layers: LayerDescriptorRecord[]): Promise<number> {
    let total = 0;
    for (const layer of layers) total += (await this.deps.layers.info(layer.diffId)).size;
    return total;
  }

  private async fetchLayers(
    session: RegistrySession,
    descriptors: Descriptor[],
    diffIds: string[],
    request: PullRequest,
  ): Promise<LayerDescriptorRecord[]> {
    const { onProgress } = request;
    const jobs = descriptors.map(async (descriptor, index) => {
      const diffId = diffIds[index] as string;
      const id = shortId(descriptor.digest);
      if (await this.deps.layers.has(diffId)) {
        onProgress({ status: 'Already exists', progressDetail: {}, id });
        return this.existingLayer(descriptor, diffId);
      }
      onProgress({ status: 'Pulling fs layer', progressDetail: {}, id });
      let shared = this.inFlight.get(descriptor.digest);
      if (!shared || shared.abandoned) {
        const job = new SharedJob<LayerDescriptorRecord>((jobSignal, jobProgress) =>
          this.limiter
            .run(
              () =>
                this.downloadLayer(session, descriptor, diffId, {
                  ...request,
                  signal: jobSignal,
                  onProgress: jobProgress,
                }),
              () => jobProgress({ status: 'Waiting', progressDetail: {}, id }),
            )
            .finally(() => {
              if (this.inFlight.get(descriptor.digest) === job)
                this.inFlight.delete(descriptor.digest);
            }),
        );
        this.inFlight.set(descriptor.digest, job);
        shared = job;
      }
      const result = await shared.join(request.signal, onProgress);
      onProgress({ status: 'Pull complete', progressDetail: {}, id });
      return result;
    });
    const settled = await Promise.allSettled(jobs);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<LayerDescriptorRecord>).value);
  }

  /** A layer we already have: keep a blob we can push later (ours, or the one another image brought). */
  private async existingLayer(
    descriptor: Descriptor,
    diffId: string,
  ): Promise<LayerDescriptorRecord> {
    if (await this.deps.blobs.has(descriptor.digest)) {
      return {
        diffId,
        blobDigest: descriptor.digest,
        blobMediaType: descriptor.mediaType,
        blobSize: descriptor.size,
      };
    }
    for (const image of this.deps.images.all()) {
      const known = image.layers.find((l) => l.diffId === diffId);
      if (known) return known;
    }
    return {
      diffId,
      blobDigest: descriptor.digest,
      blobMediaType: descriptor.mediaType,
      blobSize: descriptor.size,
    };
  }

  private async downloadLayer(
    session: RegistrySession,
    descriptor: Descriptor,
    diffId: string,
    request: PullRequest,
  ): Promise<LayerDescriptorRecord> {
    const { signal, onProgress } = request;
    const id = shortId(descriptor.digest);
    const body = await session.openBlob(descriptor.digest, signal);
    const total = descriptor.size > 0 ? descriptor.size : body.size;
    const downloading = new ThrottledProgress(onProgress, id, 'Downloading', total);
    const writer = await this.deps.blobs.createWriter();
    const compression = compressionOfMediaType(descriptor.mediaType);
    const options = signal ? { signal } : {};
    // Socket chunks are gathered into the digester's 1 MiB slots, which then go on to the blob
    // file (and the decompressor): few large writes, and no fresh memory per chunk.
    const digesterFor = (inflateInto?: Writable) =>
      new OffThreadDigestingStream({
        coalesce: true,
        onBytes: (bytes) => downloading.update(bytes),
        inflateInto,
      });
    /** The body through the digester into the blob file (and a decompressor, if given). */
    const fetchThrough = (
      through: OffThreadDigestingStream,
      decompressor?: Writable,
      decompressorKeepsChunks = false,
    ) => [
      body.pipeTo(through, signal),
      pipeline(
        through,
        new LayerFanOut(
          writer.stream as Writable,
          decompressor,
          () => through.releaseChunk(),
          decompressorKeepsChunks,
        ),
        options,
      ),
    ];
    let digester: OffThreadDigestingStream | undefined;
    /** Settled at once: it may fail while the unpack is still being awaited. */
    let download: Promise<PromiseSettledResult<unknown>> | undefined;
    let unpack: Promise<PendingLayer>;
    if (compression === 'gzip') {
      // The hash worker also inflates the layer, into reused memory, and hashes the tar: the
      // main thread only copies socket bytes in and parses the tar.
      unpack = this.deps.layers.unpackFed(
        (tar) => {
          const inflating = digesterFor(tar);
          digester = inflating;
          download = settle(Promise.all(fetchThrough(inflating)));
          return inflating.inflated();
        },
        diffId,
        signal,
      );
    } else {
      const decompressor = createDecompressor(compression);
      const unpackSource = new PassThrough({ highWaterMark: 1024 * 1024 });
      const passing = digesterFor();
      digester = passing;
      download = settle(
        Promise.all([
          ...fetchThrough(passing, decompressor, compression === 'none'),
          pipeline(decompressor, unpackSource, options),
        ]),
      );
      unpack = this.deps.layers.unpack(unpackSource, diffId, signal);
    }
    const unpacked = await settle(unpack);
    if (!digester || !download) {
      // The unpack failed before the download began.
      body.cancel();
      await writer.abort();
      throw (unpacked as PromiseRejectedResult).reason;
    }
    const downloaded = await download;
    const pending = unpacked.status === 'fulfilled' ? unpacked.value : undefined;
    try {
      // A bad tar stops the download too; its own error is the one to report.
      if (unpacked.status === 'rejected' && digester.targetFailure) throw unpacked.reason;
      if (downloaded.status === 'rejected') {
        throw signal?.aborted
          ? downloaded.reason
          : new InvalidArgumentError(
              `failed to download layer ${descriptor.digest}: ${errorMessage(downloaded.reason)}`,
            );
      }
      if (digester.bytes !== descriptor.size) {
        throw new InvalidArgumentError(
          `layer ${descriptor.digest} is truncated: got ${digester.bytes} of ${descriptor.size} bytes`,
        );
      }
      const actual = await digester.digest();
      if (actual !== descriptor.digest) {
        throw new InvalidArgumentError(
          `digest mismatch for layer ${descriptor.digest}: downloaded content hashes to ${actual}`,
        );
      }
      if (unpacked.status === 'rejected') throw unpacked.reason;
      downloading.update(digester.bytes, true);
      onProgress({ status: 'Verifying Checksum', progressDetail: {}, id });
      onProgress({ status: 'Download complete', progressDetail: {}, id });
      onProgress({ status: 'Extracting', progressDetail: { current: total, total }, id });
      await writer.commit(descriptor.digest, { durable: false });
      await pending?.commit();
    } catch (error) {
      digester.discard();
      await writer.abort();
      await pending?.discard();
      this.deps.logger.warn('layer pull failed', {
        layer: descriptor.digest,
        error: errorMessage(error),
      });
      throw error;
    }
    return {
      diffId,
      blobDigest: descriptor.digest,
      blobMediaType: descriptor.mediaType,
      blobSize: descriptor.size,
    };
  }
}
