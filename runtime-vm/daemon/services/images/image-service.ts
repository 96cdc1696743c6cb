// The image service: lookup by name or ID, list, inspect, history, tag, remove, prune, and the
// hooks containers need (resolveForContainer, setInUseChecker). Pull/push/save/load live in
// their own files and are reached through this class.
import { mkdir, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../errors';
import type { Logger } from '../../logger';
import type { RegistryCredentials } from '../../drivers/registry/auth';
import type { RegistryClient } from '../../drivers/registry/client';
import { searchImages, type SearchFilters, type SearchResult } from './search';
import {
  hostPlatform,
  parseManifest,
  parsePlatform,
  type Platform,
} from '../../drivers/registry/manifest';
import {
  canonicalString,
  familiarString,
  parseReference,
  repositoryName,
  type ImageReference,
} from '../../drivers/registry/reference';
import type { LayerStore } from '../../drivers/snapshots/layer-store';
import { sha256Digest, type BlobStore } from '../../store/blob-store';
import type { ImageRecord, ImageStore } from '../../store/image-store';
import type { EventBus } from '../events';
import { parseImageConfig, type ImageConfig, type ImageConfigBlob } from './image-config';
import type { ProgressSink } from './progress';
import { importImage } from './import';
import { registerBuiltImage, type BuiltImage } from './build-images';
import { loadImages } from './load';
import { pushImage } from './push';
import { saveImages, type SaveItem } from './save';
import { Puller } from './pull';
import {
  historyView,
  inspectView,
  summaryView,
  familiarTag,
  type HistoryView,
  type ImageSummary,
} from './views';

export interface ImageServiceDeps {
  blobs: BlobStore;
  layers: LayerStore;
  images: ImageStore;
  registry: RegistryClient;
  events: EventBus;
  logger: Logger;
  /** Scratch space for load, on the same filesystem as the stores. */
  tmpRoot: string;
}

export interface ResolvedImage {
  id: string;
  name: string;
  config: ImageConfig;
  /** Unpacked layer dirs, bottom → top, for overlayfs lowerdir. */
  layerPaths: string[];
}

export interface ListOptions {
  dangling?: boolean;
  labels?: string[];
  before?: string[];
  since?: string[];
  references?: string[];
  /** Only images created before this instant (ms since the epoch): the `until` filter. */
  untilMs?: number;
}

export type RemoveResult = Array<{ Untagged: string } | { Deleted: string }>;

/** `https://index.docker.io/v1/`, `myhost:5000`, `http://127.0.0.1:5000/` → registry host. */
export function registryDomain(serverAddress: string): string {
  const trimmed = serverAddress.trim();
  if (trimmed === '') return 'docker.io';
  const host = trimmed.replace(/^[a-z]+:\/\//i, '').split('/')[0] ?? '';
  if (host === '' || host === 'index.docker.io' || host === 'registry-1.docker.io')
    return 'docker.io';
  return host;
}

const fullIdPattern = /^(sha256:)?[a-f0-9]{64}$/;
const shortIdPattern = /^(sha256:)?[a-f0-9]{1,63}$/;

/** Shell-style match for `reference=` filters (`*` within a path segment). */
function globMatch(pattern: string, text: string): boolean {
  const regex = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*') +
      '$',
  );
  return regex.test(text);
}

export class ImageService {
  private readonly puller: Puller;
  private readonly configCache = new Map<string, ImageConfigBlob>();
  private inUse: (imageId: string) => boolean = () => false;
  /** Build-step images (not listed): RUN steps create containers from them. */
  private readonly transient = new Map<string, ResolvedImage>();

  constructor(readonly deps: ImageServiceDeps) {
    this.puller = new Puller(deps);
  }

  async init(): Promise<void> {
    await this.deps.blobs.init();
    await this.deps.layers.init();
    await this.deps.images.init();
    await rm(this.deps.tmpRoot, { recursive: true, force: true });
    await mkdir(this.deps.tmpRoot, { recursive: true });
  }

  /** Containers tell us which images they use, so removal can answer 409. */
  setInUseChecker(checker: (imageId: string) => boolean): void {
    this.inUse = checker;
  }

  async config(record: ImageRecord): Promise<ImageConfigBlob> {
    let config = this.configCache.get(record.id);
    if (!config) {
      config = parseImageConfig(await this.deps.blobs.read(record.id));
      this.configCache.set(record.id, config);
    }
    return config;
  }

  /** Finds an image by tag, digest reference, full ID or unique ID prefix (moby's order). */
  lookup(nameOrId: string): ImageRecord {
    return this.find(nameOrId).record;
  }

  private find(nameOrId: string): { record: ImageRecord; ref?: ImageReference } {
    const { images } = this.deps;
    const text = nameOrId.trim();
    if (fullIdPattern.test(text)) {
      const record = images.get(text.startsWith('sha256:') ? text : `sha256:${text}`);
      if (record) return { record };
    }
    let ref: ImageReference | undefined;
    try {
      ref = parseReference(text);
    } catch {
      ref = undefined;
    }
    if (ref) {
      if (ref.digest) {
        const wanted = `${repositoryName(ref)}@${ref.digest}`;
        const record = images.all().find((r) => r.repoDigests.includes(wanted));
        if (record) return { record, ref };
      } else {
        const id = images.tagTarget(canonicalString(ref));
        if (id) return { record: images.require(id), ref };
      }
    }
    if (shortIdPattern.test(text)) {
      const prefix = text.startsWith('sha256:') ? text : `sha256:${text}`;
      const matches = images.all().filter((r) => r.id.startsWith(prefix));
      if (matches.length === 1) return { record: matches[0] as ImageRecord };
      if (matches.length > 1)
        throw new InvalidArgumentError(
          `ambiguous image ID prefix '${text}': ${matches.length} images match`,
        );
    }
    throw new NotFoundError(`No such image: ${ref && !ref.digest ? familiarString(ref) : text}`);
  }

  async resolveForContainer(ref: string): Promise<ResolvedImage> {
    const transient = this.transient.get(ref);
    if (transient) return transient;
    const record = this.lookup(ref);
    const config = await this.config(record);
    return {
      id: record.id,
      name: ref,
      config: config.config ?? {},
      layerPaths: record.layers.map((l) => this.deps.layers.diffPath(l.diffId)),
    };
  }

  /** Makes a build-step image resolvable for containers until the returned release is called. */
  holdTransientImage(image: ResolvedImage): () => void {
    this.transient.set(image.id, image);
    return () => {
      if (this.transient.get(image.id) === image) this.transient.delete(image.id);
    };
  }

  /** Registers the result of a build and tags it; returns the familiar tag names. */
  registerBuiltImage(image: BuiltImage, tags: readonly string[]): Promise<string[]> {
    return registerBuiltImage(this.deps, image, tags);
  }

  async pull(options: {
    reference: string;
    platform?: string;
    credentials: RegistryCredentials;
    signal?: AbortSignal;
    onProgress: ProgressSink;
  }): Promise<ImageRecord> {
    const ref = parseReference(options.reference);
    const platform = options.platform ? parsePlatform(options.platform) : hostPlatform();
    const { record } = await this.puller.pull({
      ref,
      platform,
      credentials: options.credentials,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    const name = familiarString(ref);
    this.deps.events.emit({
      Type: 'image',
      Action: 'pull',
      Actor: { ID: name, Attributes: { name } },
    });
    return record;
  }

  search(options: {
    term: string;
    limit: number;
    filters: SearchFilters;
    credentials: RegistryCredentials;
    signal?: AbortSignal;
  }): Promise<SearchResult[]> {
    return searchImages(this.deps.registry, options);
  }

  importImage(options: {
    source: NodeJS.ReadableStream;
    repo?: string;
    tag?: string;
    message?: string;
    changes: string[];
    platform?: string;
    signal?: AbortSignal;
  }): Promise<string> {
    return importImage(this.deps, options);
  }

  async list(options: ListOptions = {}): Promise<ImageSummary[]> {
    const { images } = this.deps;
    let records = images.all();
    const boundary = (refs: string[] | undefined) => refs?.map((r) => createdOf(this.lookup(r)));
    const createdOf = (r: ImageRecord) => Date.parse(r.created) || 0;
    const before = boundary(options.before);
    const since = boundary(options.since);
    if (before) records = records.filter((r) => before.every((b) => createdOf(r) < b));
    if (since) records = records.filter((r) => since.every((s) => createdOf(r) > s));
    const until = options.untilMs;
    if (until !== undefined) records = records.filter((r) => createdOf(r) < until);
    const out: ImageSummary[] = [];
    for (const record of records) {
      const tags = images.tagsOf(record.id);
      if (options.dangling !== undefined && options.dangling !== (tags.length === 0)) continue;
      if (options.references && options.references.length > 0) {
        const familiar = tags.map(familiarTag);
        const ok = options.references.some((pattern) =>
          familiar.some(
            (tag) => globMatch(pattern, tag) || globMatch(pattern, tag.replace(/:[^:/]+$/, '')),
          ),
        );
        if (!ok) continue;
      }
      const config = await this.config(record);
      if (options.labels && options.labels.length > 0) {
        const labels = config.config?.Labels ?? {};
        const ok = options.labels.every((entry) => {
          const eq = entry.indexOf('=');
          return eq < 0
            ? labels[entry] !== undefined
            : labels[entry.slice(0, eq)] === entry.slice(eq + 1);
        });
        if (!ok) continue;
      }
      out.push(summaryView(record, tags, config, this.inUse(record.id) ? 1 : 0));
    }
    return out.sort((a, b) => b.Created - a.Created);
  }

  async inspect(nameOrId: string): Promise<Record<string, unknown>> {
    const record = this.lookup(nameOrId);
    const config = await this.config(record);
    const dirs = record.layers.map((l) => this.deps.layers.diffPath(l.diffId));
    return inspectView(record, this.deps.images.tagsOf(record.id), config, dirs);
  }

  async history(nameOrId: string): Promise<HistoryView[]> {
    const record = this.lookup(nameOrId);
    const config = await this.config(record);
    const sizes: number[] = [];
    for (const layer of record.layers) sizes.push((await this.deps.layers.info(layer.diffId)).size);
    return historyView(record, this.deps.images.tagsOf(record.id), config, sizes);
  }

  async tag(source: string, repo: string, tag: string | undefined): Promise<void> {
    const record = this.lookup(source);
    if (repo.trim() === '') throw new InvalidArgumentError('repository name must not be empty');
    const ref = parseReference(tag ? `${repo}:${tag}` : repo);
    if (ref.digest)
      throw new InvalidArgumentError('refusing to create a tag with a digest reference');
    await this.deps.images.tag(canonicalString(ref), record.id);
    this.deps.events.emit({
      Type: 'image',
      Action: 'tag',
      Actor: { ID: record.id, Attributes: { name: familiarString(ref) } },
    });
  }

  /** Docker's rmi: a name untags (and deletes when it was the last reference); an ID deletes. */
  async remove(nameOrId: string, force: boolean): Promise<RemoveResult> {
    const { images } = this.deps;
    const { record, ref } = this.find(nameOrId);
    const tags = images.tagsOf(record.id);
    const result: RemoveResult = [];
    const text = nameOrId.trim();
    const inUse = this.inUse(record.id);
    if (ref) {
      const key = canonicalString(ref);
      if (ref.digest) {
        if (tags.length > 0 || record.repoDigests.length > 1) {
          const wanted = `${repositoryName(ref)}@${ref.digest}`;
          await images.setRepoDigests(
            record.id,
            record.repoDigests.filter((d) => d !== wanted),
          );
          result.push({ Untagged: familiarString(ref) });
          return result;
        }
      } else if (tags.length > 1 || (tags.length === 1 && inUse && force)) {
        await images.untag(key);
        result.push({ Untagged: familiarString(ref) });
        this.emitImage('untag', record.id);
        return result;
      } else if (inUse) {
        throw new ConflictError(
          `conflict: unable to remove repository reference "${text}" (must force) - container is using its referenced image ${record.id.slice(7, 19)}`,
        );
      }
    } else {
      if (inUse && !force) {
        throw new ConflictError(
          `conflict: unable to delete ${record.id.slice(7, 19)} (must be forced) - image is being used by a container`,
        );
      }
      if (tags.length > 1 && !force) {
        throw new ConflictError(
          `conflict: unable to delete ${record.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
        );
      }
      if (inUse) {
        // Forced removal of an image a container uses: untag it, keep the content (as Docker does).
        for (const tag of tags) {
          await images.untag(tag);
          result.push({ Untagged: familiarTag(tag) });
          this.emitImage('untag', record.id);
        }
        return result;
      }
    }
    for (const tag of tags) result.push({ Untagged: familiarTag(tag) });
    for (const digest of record.repoDigests)
      result.push({ Untagged: familiarString(parseReference(digest, { defaultToLatest: false })) });
    if (tags.length > 0) this.emitImage('untag', record.id);
    result.push(...(await this.deleteRecord(record)));
    return result;
  }

  private emitImage(action: string, id: string): void {
    this.deps.events.emit({ Type: 'image', Action: action, Actor: { ID: id, Attributes: {} } });
  }

  /** Deletes the record, then any layers and blobs no other image references. */
  private async deleteRecord(record: ImageRecord): Promise<Array<{ Deleted: string }>> {
    const { images, layers, blobs } = this.deps;
    await images.delete(record.id);
    this.configCache.delete(record.id);
    const deleted: Array<{ Deleted: string }> = [{ Deleted: record.id }];
    this.emitImage('delete', record.id);
    const remaining = images.all();
    const usedLayers = new Set(remaining.flatMap((r) => r.layers.map((l) => l.diffId)));
    const usedBlobs = new Set(
      remaining.flatMap((r) => [r.id, r.manifestDigest, ...r.layers.map((l) => l.blobDigest)]),
    );
    // Pulls in progress may already count on these ("Already exists"): keep what they hold.
    for (const layer of record.layers) {
      if (this.puller.isHeld(layer.diffId)) usedLayers.add(layer.diffId);
      if (this.puller.isHeld(layer.blobDigest)) usedBlobs.add(layer.blobDigest);
    }
    if (this.puller.isHeld(record.id)) usedBlobs.add(record.id);
    for (const layer of record.layers) {
      if (!usedLayers.has(layer.diffId)) {
        usedLayers.add(layer.diffId); // a layer listed twice in one image is removed once
        await layers.remove(layer.diffId);
        deleted.push({ Deleted: layer.diffId });
      }
      if (!usedBlobs.has(layer.blobDigest)) await blobs.remove(layer.blobDigest);
    }
    if (!usedBlobs.has(record.id)) await blobs.remove(record.id);
    if (record.manifestDigest && !usedBlobs.has(record.manifestDigest))
      await blobs.remove(record.manifestDigest);
    return deleted;
  }

  /** Removes dangling images (or, with all, every image no container uses). */
  async prune(options: {
    all: boolean;
    untilMs?: number;
    labels?: string[];
  }): Promise<{ ImagesDeleted: RemoveResult; SpaceReclaimed: number }> {
    const { images } = this.deps;
    const deleted: RemoveResult = [];
    let reclaimed = 0;
    for (const record of images.all()) {
      if (this.inUse(record.id)) continue;
      const tags = images.tagsOf(record.id);
      if (!options.all && tags.length > 0) continue;
      if (options.untilMs !== undefined && (Date.parse(record.loadedAt) || 0) >= options.untilMs)
        continue;
      if (options.labels && options.labels.length > 0) {
        const labels = (await this.config(record)).config?.Labels ?? {};
        const ok = options.labels.every((entry) => {
          const negate = entry.startsWith('!');
          const spec = negate ? entry.slice(1) : entry;
          const eq = spec.indexOf('=');
          const has =
            eq < 0 ? labels[spec] !== undefined : labels[spec.slice(0, eq)] === spec.slice(eq + 1);
          return negate ? !has : has;
        });
        if (!ok) continue;
      }
      for (const tag of tags) deleted.push({ Untagged: familiarTag(tag) });
      const before = await this.deps.layers.totalSize();
      deleted.push(...(await this.deleteRecord(record)));
      reclaimed += before - (await this.deps.layers.totalSize());
    }
    this.deps.events.emit({
      Type: 'image',
      Action: 'prune',
      Actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } },
    });
    return { ImagesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  async push(options: {
    name: string;
    tag?: string;
    credentials: RegistryCredentials;
    signal?: AbortSignal;
    onProgress: ProgressSink;
  }): Promise<string> {
    const parsed = parseReference(options.tag ? `${options.name}:${options.tag}` : options.name);
    if (parsed.digest) throw new InvalidArgumentError('cannot push a digest reference: push a tag');
    const ref = { ...parsed, tag: parsed.tag ?? 'latest' };
    const record = this.lookup(canonicalString(ref));
    const digest = await pushImage(this.deps, {
      record,
      ref,
      credentials: options.credentials,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    const name = familiarString(ref);
    this.deps.events.emit({
      Type: 'image',
      Action: 'push',
      Actor: { ID: name, Attributes: { name } },
    });
    return digest;
  }

  /** A `docker save` archive of the named images (tags named are recorded; IDs save untagged). */
  save(names: string[]): Readable {
    if (names.length === 0) throw new InvalidArgumentError('no image names given to save');
    const items: SaveItem[] = [];
    for (const name of names) {
      const { record, ref } = this.find(name);
      const existing = items.find((i) => i.record.id === record.id);
      const tags = ref && !ref.digest ? [familiarString(ref)] : [];
      if (existing) existing.repoTags.push(...tags.filter((t) => !existing.repoTags.includes(t)));
      else items.push({ record, repoTags: tags });
    }
    for (const item of items) {
      this.deps.events.emit({
        Type: 'image',
        Action: 'save',
        Actor: { ID: item.record.id, Attributes: {} },
      });
    }
    return saveImages(this.deps, items);
  }

  load(
    source: NodeJS.ReadableStream,
    onProgress: ProgressSink,
    signal?: AbortSignal,
  ): Promise<string[]> {
    return loadImages(this.deps, source, onProgress, signal);
  }

  /** /distribution/{name}/json: what the registry has for a reference, without pulling it. */
  async distribution(
    name: string,
    credentials: RegistryCredentials,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const ref = parseReference(name);
    const session = this.deps.registry.session(ref.domain, ref.path, credentials);
    const response = await session.getManifest(ref.digest ?? ref.tag ?? 'latest', signal);
    const parsed = parseManifest(response.body, response.contentType);
    const mediaType =
      (parsed.kind === 'index' ? parsed.index.mediaType : parsed.manifest.mediaType) ??
      response.contentType;
    let platforms: Platform[];
    if (parsed.kind === 'index') {
      platforms = parsed.index.manifests
        .filter((m) => m.platform)
        .map((m) => m.platform as Platform);
    } else {
      const config = parseImageConfig(
        await session.getSmallBlob(parsed.manifest.config.digest, signal),
      );
      platforms = [
        {
          architecture: config.architecture,
          os: config.os,
          ...(config.variant ? { variant: config.variant } : {}),
        },
      ];
    }
    return {
      Descriptor: { mediaType, digest: sha256Digest(response.body), size: response.body.length },
      Platforms: platforms,
    };
  }

  /** `docker login`: checks the credentials against the registry's /v2/ endpoint. */
  async login(
    serverAddress: string,
    credentials: RegistryCredentials,
    signal?: AbortSignal,
  ): Promise<void> {
    const domain = registryDomain(serverAddress);
    await this.deps.registry.session(domain, '', credentials).checkLogin(signal);
  }

  /** Figures for /system/df and /info. */
  async usage(): Promise<{ count: number; layersSize: number; images: ImageSummary[] }> {
    const images = await this.list();
    return { count: images.length, layersSize: await this.deps.layers.totalSize(), images };
  }
}
