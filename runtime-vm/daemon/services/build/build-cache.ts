// The classic builder's cache: a step is reused when its parent image, its instruction (with
// every variable already expanded) and its inputs (for COPY/ADD a hash of the files' content and
// metadata) match a step built before. Each entry is one JSON file under <dataRoot>/build/entries/,
// written atomically; it carries the step's whole config blob and layer list, so a hit needs
// nothing but the layers themselves (checked before use).
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SystemError } from '../../errors';
import { writeJsonAtomic } from '../../store/atomic';
import type { LayerDescriptorRecord } from '../../store/image-store';

export interface CacheEntry {
  key: string;
  /** The step's image ID (`sha256:` of its config blob). */
  id: string;
  parent: string;
  createdBy: string;
  /** The config blob, exactly as stored (its digest is `id`). */
  blob: string;
  layers: LayerDescriptorRecord[];
  /** The layer this step added, if any. */
  addedLayer?: string;
  /** Bytes of that layer's content. */
  size: number;
  createdAt: string;
  lastUsedAt: string;
  usageCount: number;
}

/** The key of a step: parent, instruction text and input hash, order-independent of JSON. */
export function cacheKey(parent: string, createdBy: string, inputs = ''): string {
  return createHash('sha256').update(`${parent}\n${createdBy}\n${inputs}`).digest('hex');
}

export class BuildCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly touched = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  /** `root` holds one JSON file per entry, so a step's commit writes one small file. */
  constructor(private readonly root: string) {}

  private entryPath(key: string): string {
    return join(this.root, 'entries', `${key}.json`);
  }

  async init(): Promise<void> {
    const dir = join(this.root, 'entries');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(dir)) {
      if (name.startsWith('.tmp-')) {
        await rm(join(dir, name), { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const entry = JSON.parse(await readFile(join(dir, name), 'utf8')) as CacheEntry;
        this.entries.set(entry.key, entry);
      } catch (error) {
        throw new SystemError(`corrupt build cache entry ${name}: ${(error as Error).message}`);
      }
    }
  }

  get(key: string): CacheEntry | undefined {
    return this.entries.get(key);
  }

  all(): CacheEntry[] {
    return [...this.entries.values()];
  }

  put(entry: CacheEntry): Promise<void> {
    return this.exclusive(async () => {
      await writeJsonAtomic(this.entryPath(entry.key), entry);
      this.entries.set(entry.key, entry);
    });
  }

  /**
   * Marks a hit (for /system/df's LastUsedAt and UsageCount). Only in memory: usage figures are
   * not worth a disk write per step, so `flush()` writes them once a build is over.
   */
  touch(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.lastUsedAt = new Date().toISOString();
    entry.usageCount++;
    this.touched.add(key);
  }

  flush(): Promise<void> {
    return this.exclusive(async () => {
      const keys = [...this.touched];
      this.touched.clear();
      for (const key of keys) {
        const entry = this.entries.get(key);
        if (entry) await writeJsonAtomic(this.entryPath(key), entry);
      }
    });
  }

  remove(keys: readonly string[]): Promise<void> {
    return this.exclusive(async () => {
      for (const key of keys) {
        await rm(this.entryPath(key), { force: true });
        this.entries.delete(key);
        this.touched.delete(key);
      }
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
