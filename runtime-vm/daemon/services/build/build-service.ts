// The build service: `POST /build` (context in, progress out, image registered and tagged),
// `POST /build/prune`, and the build cache figures for /system/df. Its state lives under
// <dataRoot>/build/: the cache index, and a scratch folder emptied at start-up.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMountPoints, type OverlayRootfs } from '../../drivers/rootfs/overlay-rootfs';
import type { Logger } from '../../logger';
import type { ImageRecord } from '../../store/image-store';
import { BuildCache, type CacheEntry } from './build-cache';
import { extractContext, readDockerfile } from './build-context';
import type { BuildContainers, BuildImages, BuildOutput, BuildRequest } from './build-types';
import { Builder } from './builder';

export interface BuildServiceOptions {
  dataRoot: string;
  images: BuildImages;
  /** Every image record, so a prune keeps what images still use. */
  imageRecords(): ImageRecord[];
  containers: BuildContainers;
  overlay: OverlayRootfs;
  logger: Logger;
}

export interface PruneResult {
  CachesDeleted: string[] | null;
  SpaceReclaimed: number;
}

export class BuildService {
  private readonly cache: BuildCache;
  private readonly workRoot: string;

  constructor(private readonly options: BuildServiceOptions) {
    this.cache = new BuildCache(join(options.dataRoot, 'build'));
    this.workRoot = join(options.dataRoot, 'build', 'work');
  }

  async init(): Promise<void> {
    await this.cache.init();
    // Scratch left by a crash: mounts first (removing files through an overlay would only
    // whiteout them, and a busy mount pins the folder), then the files.
    const mounts = parseMountPoints(await readFile('/proc/self/mountinfo', 'utf8'));
    for (const point of [...mounts].filter((p) => p.startsWith(`${this.workRoot}/`)))
      await this.options.overlay.unmount(point);
    await rm(this.workRoot, { recursive: true, force: true });
    await mkdir(this.workRoot, { recursive: true, mode: 0o700 });
  }

  /** Reads the whole context, then builds; messages go to `output` as the build goes. */
  async build(
    request: BuildRequest,
    body: NodeJS.ReadableStream,
    output: BuildOutput,
    signal?: AbortSignal,
  ): Promise<{ id: string; tags: string[] }> {
    const context = await extractContext(body, this.workRoot, signal);
    try {
      const dockerfile = await readDockerfile(context, request.dockerfile);
      const builder = new Builder(
        {
          images: this.options.images,
          containers: this.options.containers,
          overlay: this.options.overlay,
          cache: this.cache,
          workRoot: this.workRoot,
          logger: this.options.logger,
        },
        request,
        context,
        dockerfile,
        output,
        signal,
      );
      return await builder.run();
    } finally {
      // Usage figures (df's LastUsedAt, UsageCount) are saved after the answer: on a warm
      // rebuild, one atomic write per step was most of berthd's time.
      void this.cache.flush().catch((error: unknown) => {
        this.options.logger.warn('saving build cache usage failed', { error: String(error) });
      });
      await context.dispose();
    }
  }

  /** Layers and blobs images hold: never removed by a prune. */
  private heldByImages(): { layers: Set<string>; blobs: Set<string> } {
    const records = this.options.imageRecords();
    return {
      layers: new Set(records.flatMap((r) => r.layers.map((l) => l.diffId))),
      blobs: new Set(
        records.flatMap((r) => [
          r.id,
          ...(r.manifestDigest ? [r.manifestDigest] : []),
          ...r.layers.map((l) => l.blobDigest),
        ]),
      ),
    };
  }

  /** Removes cache entries (all, or those last used before `untilMs`) and what only they held. */
  async prune(options: { all: boolean; untilMs?: number }): Promise<PruneResult> {
    const doomed = this.cache
      .all()
      .filter(
        (entry) => options.untilMs === undefined || Date.parse(entry.lastUsedAt) < options.untilMs,
      );
    if (doomed.length === 0) return { CachesDeleted: null, SpaceReclaimed: 0 };
    await this.cache.remove(doomed.map((e) => e.key));
    const held = this.heldByImages();
    const kept = this.cache.all();
    for (const entry of kept) {
      held.blobs.add(entry.id);
      for (const layer of entry.layers) {
        held.layers.add(layer.diffId);
        held.blobs.add(layer.blobDigest);
      }
    }
    const { blobs, layers } = this.options.images.deps;
    let reclaimed = 0;
    for (const entry of doomed) {
      if (entry.addedLayer && !held.layers.has(entry.addedLayer)) {
        held.layers.add(entry.addedLayer);
        reclaimed += entry.size;
        await layers.remove(entry.addedLayer);
        if (!held.blobs.has(entry.addedLayer)) await blobs.remove(entry.addedLayer);
      }
      if (!held.blobs.has(entry.id)) await blobs.remove(entry.id);
    }
    return { CachesDeleted: doomed.map((e) => e.key), SpaceReclaimed: reclaimed };
  }

  /** BuildCache items for /system/df, and the bytes only the cache holds. */
  async diskUsage(): Promise<{ items: unknown[]; size: number }> {
    const held = this.heldByImages();
    let size = 0;
    const items = this.cache.all().map((entry: CacheEntry) => {
      const shared = entry.addedLayer ? held.layers.has(entry.addedLayer) : false;
      if (!shared) size += entry.size;
      return {
        ID: entry.key.slice(0, 25),
        Parent: entry.parent,
        Type: 'regular',
        Description: entry.createdBy,
        InUse: false,
        Shared: shared,
        Size: entry.size,
        CreatedAt: entry.createdAt,
        LastUsedAt: entry.lastUsedAt,
        UsageCount: entry.usageCount,
      };
    });
    return { items, size };
  }
}
