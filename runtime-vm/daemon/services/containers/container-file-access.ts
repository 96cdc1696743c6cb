// docker diff / export / cp for one container: the container's root filesystem is used where it
// is mounted, and mounted for the duration of the operation when the container is stopped.
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ForbiddenError } from '../../errors';
import { rootfsLayout, type OverlayRootfs } from '../../drivers/rootfs/overlay-rootfs';
import {
  extractInto,
  listChanges,
  statPath,
  tarDirectory,
  type Change,
  type PathStat,
} from './container-files';
import type { ContainerStore } from './container-store';
import type { ContainerRegistry } from './registry';
import { berthMountPoints } from './spec/build-spec';
import { mountsOf } from './container-views';
import type { ContainerRecord } from './types';

export interface TarStream {
  stream: Readable;
  /** Settles when the stream has ended (or failed). */
  done: Promise<void>;
}

export interface FileAccessDeps {
  registry: ContainerRegistry;
  store: ContainerStore;
  rootfs: OverlayRootfs;
  rootfsPath(id: string): string;
}

export class ContainerFileAccess {
  constructor(private readonly deps: FileAccessDeps) {}

  /** docker diff: the container's changes against its image. */
  async changes(ref: string): Promise<Change[]> {
    const record = this.deps.registry.get(ref);
    const ignored = new Set([
      ...berthMountPoints,
      ...mountsOf(record).map((m) => (m as { Destination: string }).Destination),
    ]);
    const upper = rootfsLayout(this.deps.store.dir(record.Id)).upperDir;
    return listChanges(upper, record.LayerPaths, ignored);
  }

  /** A tar of the container's whole root filesystem. */
  async export(ref: string, signal?: AbortSignal): Promise<TarStream> {
    const record = this.deps.registry.get(ref);
    const tar = await this.streamFromRootfs(record, (root) => tarDirectory(root), signal);
    this.deps.registry.emit(record, 'export');
    return tar;
  }

  async stat(ref: string, path: string): Promise<PathStat> {
    const record = this.deps.registry.get(ref);
    return this.withRootfs(record, async (root) => {
      const { hostPath: _hostPath, ...stat } = await statPath(root, path, record.Id);
      return stat;
    });
  }

  /** docker cp out: the stat (for the header) and a tar of the path. */
  async get(
    ref: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<TarStream & { stat: PathStat }> {
    const record = this.deps.registry.get(ref);
    let stat: PathStat | undefined;
    const tar = await this.streamFromRootfs(
      record,
      async (root) => {
        const { hostPath, ...rest } = await statPath(root, path, record.Id);
        stat = rest;
        return tarDirectory(dirname(hostPath), [basename(hostPath)]);
      },
      signal,
    );
    this.deps.registry.emit(record, 'archive-path');
    return { ...tar, stat: stat as PathStat };
  }

  /** docker cp in: extracts a tar into an existing directory of the container. */
  async put(
    ref: string,
    path: string,
    body: Readable,
    options: { noOverwriteDirNonDir: boolean; copyUidGid: boolean },
  ): Promise<void> {
    const record = this.deps.registry.get(ref);
    if (record.HostConfig.ReadonlyRootfs) {
      throw new ForbiddenError('container rootfs is marked read-only');
    }
    const scratchDir = join(this.deps.store.dir(record.Id), 'scratch');
    await this.withRootfs(record, (root) =>
      extractInto(root, path, record.Id, body, { ...options, scratchDir }),
    );
    this.deps.registry.emit(record, 'extract-to-dir');
  }

  /** Runs `use` with the container's root filesystem mounted (temporarily if stopped). */
  private withRootfs<T>(record: ContainerRecord, use: (root: string) => Promise<T>): Promise<T> {
    return this.deps.registry.withLock(record.Id, async () => {
      const root = this.deps.rootfsPath(record.Id);
      const wasRunning = record.State.Running;
      if (!wasRunning) {
        await this.deps.rootfs.mount(record.LayerPaths, this.deps.store.dir(record.Id), root);
      }
      try {
        return await use(root);
      } finally {
        if (!wasRunning && !record.State.Running) await this.deps.rootfs.unmount(root);
      }
    });
  }

  /** Like withRootfs, for a stream: the mount is held until the stream is over. */
  private async streamFromRootfs(
    record: ContainerRecord,
    open: (root: string) => Promise<TarStream> | TarStream,
    signal?: AbortSignal,
  ): Promise<TarStream> {
    let handOver!: (value: TarStream) => void;
    const opened = new Promise<TarStream>((resolve) => (handOver = resolve));
    const held = this.withRootfs(record, async (root) => {
      const tar = await open(root);
      const onAbort = () => tar.stream.destroy();
      signal?.addEventListener('abort', onAbort, { once: true });
      handOver(tar);
      await tar.done.catch(() => undefined);
      signal?.removeEventListener('abort', onAbort);
    });
    return Promise.race([opened, held.then(() => opened)]);
  }
}
