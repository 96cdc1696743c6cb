// docker diff / export / cp for one container: the container's root filesystem is used where it
// is mounted, and mounted for the duration of the operation when the container is stopped.
// docker cp also sees the container's volumes and binds (running or not, as with dockerd);
// export does not (docker export leaves volumes out).
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
import {
  archiveMounts,
  containerPathOf,
  hostFileMountPoints,
  mountHolding,
  openMountedView,
  type ArchiveMount,
  type MountPointLike,
} from './container-file-mounts';
import type { ContainerStore } from './container-store';
import { resolveInRoot } from './resolve-in-root';
import type { ContainerRegistry } from './registry';
import { berthMountPoints } from './spec/build-spec';
import { mountsOf } from './container-views';
import { zeroTime } from './status-text';
import type { ContainerRecord } from './types';

export interface TarStream {
  stream: Readable;
  /** Settles when the stream has ended (or failed). */
  done: Promise<void>;
}

/** Whether a file operation sees the container's mounts; `path` lets the host files in. */
type MountChoice = { withMounts: boolean; path?: string };

export interface FileAccessDeps {
  registry: ContainerRegistry;
  store: ContainerStore;
  rootfs: OverlayRootfs;
  rootfsPath(id: string): string;
  /** Settles once the container's last run has released its rootfs mount. */
  released(id: string): Promise<void>;
  /**
   * Where docker cp's view (root plus mounts) of a container is mounted: outside the container's
   * own folders, so removing the container never recurses through a mounted volume.
   */
  viewPath(id: string): string;
  /**
   * Creates the volumes of a container that never started, as its first start would (new ones
   * filled from the image at `rootfsPath`), and records them in its MountPoints.
   */
  prepareVolumes?(record: ContainerRecord, rootfsPath: string): Promise<unknown>;
}

type RootfsUse<T> = (root: string, mounts: readonly ArchiveMount[]) => Promise<T>;

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
    const tar = await this.streamFromRootfs(record, async (root) => tarDirectory(root), signal, {
      withMounts: false,
    });
    this.deps.registry.emit(record, 'export');
    return tar;
  }

  async stat(ref: string, path: string): Promise<PathStat> {
    const record = this.deps.registry.get(ref);
    return this.withRootfs(
      record,
      async (root) => {
        const { hostPath: _hostPath, ...stat } = await statPath(root, path, record.Id);
        return stat;
      },
      { withMounts: true, path },
    );
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
        // Entry names as dockerd gives them: "/…" for the root, "./…" for "dir/." (the
        // folder's contents, the folder followed inside the root), else "name/…".
        if (hostPath === root) return tarDirectory(root, ['.'], { absoluteNames: true });
        if (path === '.' || path.endsWith('/.'))
          return tarDirectory(await resolveInRoot(root, path), ['.']);
        return tarDirectory(dirname(hostPath), [basename(hostPath)]);
      },
      signal,
      { withMounts: true, path },
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
    const scratchDir = join(this.deps.store.dir(record.Id), 'scratch');
    await this.withRootfs(
      record,
      async (root, mounts) => {
        // As dockerd: a read-only volume refuses, and so does a read-only rootfs outside volumes.
        const target = containerPathOf(root, await resolveInRoot(root, path));
        const holder = mountHolding(mounts, target);
        if (holder?.readOnly) throw new ForbiddenError('mounted volume is marked read-only');
        if (!holder && record.HostConfig.ReadonlyRootfs)
          throw new ForbiddenError('container rootfs is marked read-only');
        await extractInto(root, path, record.Id, body, { ...options, scratchDir });
      },
      { withMounts: true, path },
    );
    this.deps.registry.emit(record, 'extract-to-dir');
  }

  /**
   * Runs `use` with the container's root filesystem mounted (temporarily if stopped) and, unless
   * told otherwise, its volumes and binds in place.
   */
  private withRootfs<T>(
    record: ContainerRecord,
    use: RootfsUse<T>,
    options: MountChoice = { withMounts: true },
  ): Promise<T> {
    return this.deps.registry.withLock(record.Id, async () => {
      const root = this.deps.rootfsPath(record.Id);
      const wasRunning = record.State.Running;
      if (!wasRunning) {
        // An exit's background unmount must not take this mount with it.
        await this.deps.released(record.Id);
        await this.deps.rootfs.mount(record.LayerPaths, this.deps.store.dir(record.Id), root);
      }
      try {
        const mounts = options.withMounts ? await this.mountsFor(record, root, options.path) : [];
        if (mounts.length === 0) return await use(root, mounts);
        const view = await openMountedView(root, this.deps.viewPath(record.Id), mounts);
        try {
          return await use(view.root, mounts);
        } finally {
          await view.close();
        }
      } finally {
        if (!wasRunning && !record.State.Running) await this.deps.rootfs.unmount(root);
      }
    });
  }

  /**
   * The binds and volumes docker cp sees (a never-started container gets its volumes now), and
   * for a started one the host files when `path` reaches them.
   */
  private async mountsFor(
    record: ContainerRecord,
    root: string,
    path: string | undefined,
  ): Promise<ArchiveMount[]> {
    if (!record.MountPoints && !record.State.Running && this.deps.prepareVolumes) {
      await this.deps.prepareVolumes(record, root);
      await this.deps.registry.save(record);
    }
    const points = mountsOf(record);
    if (path === undefined || record.State.StartedAt === zeroTime) return archiveMounts(points);
    const taken = new Set(points.map((point) => String((point as MountPointLike).Destination)));
    return archiveMounts([...points, ...hostFileMountPoints(record, path, taken)]);
  }

  /** Like withRootfs, for a stream: the mounts are held until the stream is over. */
  private async streamFromRootfs(
    record: ContainerRecord,
    open: (root: string) => Promise<TarStream>,
    signal?: AbortSignal,
    options: MountChoice = { withMounts: true },
  ): Promise<TarStream> {
    let handOver!: (value: TarStream) => void;
    const opened = new Promise<TarStream>((resolve) => (handOver = resolve));
    const held = this.withRootfs(
      record,
      async (root) => {
        const tar = await open(root);
        const onAbort = () => tar.stream.destroy();
        signal?.addEventListener('abort', onAbort, { once: true });
        handOver(tar);
        await tar.done.catch(() => undefined);
        signal?.removeEventListener('abort', onAbort);
      },
      options,
    );
    return Promise.race([opened, held.then(() => opened)]);
  }
}
