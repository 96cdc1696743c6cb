// Image metadata: one JSON record per image (by ID) plus one file of tags. Records are written
// atomically, and only after every blob and layer they name is on disk, so a crash can leave an
// untagged image at worst, never a half-registered one.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, SystemError } from '../errors';
import { fsyncDirectory, writeJsonAtomic } from './atomic';

export interface LayerDescriptorRecord {
  diffId: string;
  /** The blob we hold for this layer (compressed as pulled, or plain tar after load/import). */
  blobDigest: string;
  blobMediaType: string;
  blobSize: number;
}

export interface ImageRecord {
  /** `sha256:` + hex of the config blob. */
  id: string;
  layers: LayerDescriptorRecord[];
  /** Manifest blob we hold for this image, if it came from a registry. */
  manifestDigest?: string;
  manifestMediaType?: string;
  /** `docker.io/library/busybox@sha256:…` */
  repoDigests: string[];
  /** Sum of layer content sizes. */
  size: number;
  created: string;
  loadedAt: string;
  lastTagTime?: string;
}

interface TagFile {
  /** canonical `domain/path:tag` → image id */
  tags: Record<string, string>;
}

export class ImageStore {
  private readonly records = new Map<string, ImageRecord>();
  private tags = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly root: string) {}

  private get recordDir(): string {
    return join(this.root, 'images');
  }

  private get tagFile(): string {
    return join(this.root, 'repositories.json');
  }

  async init(): Promise<void> {
    await mkdir(this.recordDir, { recursive: true });
    for (const name of await readdir(this.recordDir)) {
      if (name.startsWith('.tmp-')) {
        await rm(join(this.recordDir, name), { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const record = JSON.parse(
          await readFile(join(this.recordDir, name), 'utf8'),
        ) as ImageRecord;
        this.records.set(record.id, record);
      } catch (error) {
        throw new SystemError(`corrupt image record ${name}: ${(error as Error).message}`);
      }
    }
    try {
      const file = JSON.parse(await readFile(this.tagFile, 'utf8')) as TagFile;
      this.tags = new Map(Object.entries(file.tags ?? {}).filter(([, id]) => this.records.has(id)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new SystemError(`corrupt tag store ${this.tagFile}: ${(error as Error).message}`);
      }
    }
  }

  /** Serializes mutations: the tag file is rewritten whole, so writers must not interleave. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async saveTags(): Promise<void> {
    const tags: Record<string, string> = {};
    for (const [ref, id] of [...this.tags].sort(([a], [b]) => a.localeCompare(b))) tags[ref] = id;
    await writeJsonAtomic(this.tagFile, { tags } satisfies TagFile);
  }

  private recordPath(id: string): string {
    return join(this.recordDir, `${id.replace(/^sha256:/, '')}.json`);
  }

  all(): ImageRecord[] {
    return [...this.records.values()];
  }

  get(id: string): ImageRecord | undefined {
    return this.records.get(id);
  }

  require(id: string): ImageRecord {
    const record = this.records.get(id);
    if (!record) throw new NotFoundError(`No such image: ${id}`);
    return record;
  }

  tagTarget(canonicalRef: string): string | undefined {
    return this.tags.get(canonicalRef);
  }

  /** Canonical tag refs pointing at `id`. */
  tagsOf(id: string): string[] {
    return [...this.tags]
      .filter(([, target]) => target === id)
      .map(([ref]) => ref)
      .sort();
  }

  allTags(): ReadonlyMap<string, string> {
    return this.tags;
  }

  /** Writes (or replaces) a record, then points `tags` at it. */
  save(record: ImageRecord, tags: readonly string[] = []): Promise<void> {
    return this.exclusive(async () => {
      const existing = this.records.get(record.id);
      const merged: ImageRecord = existing
        ? {
            ...record,
            repoDigests: [...new Set([...existing.repoDigests, ...record.repoDigests])],
            loadedAt: existing.loadedAt,
          }
        : record;
      if (tags.length > 0) merged.lastTagTime = new Date().toISOString();
      await writeJsonAtomic(this.recordPath(record.id), merged);
      this.records.set(record.id, merged);
      if (tags.length > 0) {
        for (const tag of tags) this.tags.set(tag, record.id);
        await this.saveTags();
      }
    });
  }

  tag(canonicalRef: string, id: string): Promise<void> {
    return this.exclusive(async () => {
      const record = this.require(id);
      this.tags.set(canonicalRef, id);
      await this.saveTags();
      record.lastTagTime = new Date().toISOString();
      await writeJsonAtomic(this.recordPath(id), record);
    });
  }

  untag(canonicalRef: string): Promise<boolean> {
    return this.exclusive(async () => {
      if (!this.tags.delete(canonicalRef)) return false;
      await this.saveTags();
      return true;
    });
  }

  setRepoDigests(id: string, repoDigests: string[]): Promise<void> {
    return this.exclusive(async () => {
      const record = this.require(id);
      record.repoDigests = repoDigests;
      await writeJsonAtomic(this.recordPath(id), record);
    });
  }

  /** Removes the record and every tag pointing at it. */
  delete(id: string): Promise<void> {
    return this.exclusive(async () => {
      let tagsChanged = false;
      for (const [ref, target] of [...this.tags]) {
        if (target === id) {
          this.tags.delete(ref);
          tagsChanged = true;
        }
      }
      if (tagsChanged) await this.saveTags();
      await rm(this.recordPath(id), { force: true });
      await fsyncDirectory(this.recordDir);
      this.records.delete(id);
    });
  }
}
