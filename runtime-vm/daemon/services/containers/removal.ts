// Container removal: the record, the anonymous volumes, the rootfs mount and the directories.
// The record goes first: a crash after that leaves directories without a record, which the next
// start removes (recovery unmounts their roots first).
import { rm } from 'node:fs/promises';
import type { Logger } from '../../logger';
import type { OverlayRootfs } from '../../drivers/rootfs/overlay-rootfs';
import type { RuntimeDriver } from '../../drivers/runtime/runtime-driver';
import type { ContainerStore } from './container-store';
import type { ContainerRegistry } from './registry';
import type { ContainerRunner } from './runner';
import type { ContainerRecord } from './types';
import type { ContainerVolumes } from './volumes';

export interface RemovalDeps {
  registry: ContainerRegistry;
  store: ContainerStore;
  runtime: RuntimeDriver;
  rootfs: OverlayRootfs;
  runner: ContainerRunner;
  logger: Logger;
  volumes?: ContainerVolumes;
  bundleDir(id: string): string;
}

export class ContainerRemoval {
  constructor(private readonly deps: RemovalDeps) {}

  /**
   * Deletes everything a stopped container owns and announces it. With `cleanupInBackground`
   * (auto-removal: `docker run --rm` waits for `removed`), the waiters are answered before the
   * unmount and the directory removal, which follow.
   */
  async remove(
    record: ContainerRecord,
    removeAnonymousVolumes = false,
    options: { cleanupInBackground?: boolean } = {},
  ): Promise<void> {
    const { registry, store, runtime, volumes, logger } = this.deps;
    const id = record.Id;
    if (!registry.has(id)) return;
    record.State.Status = 'removing';
    // A stopped container was already deleted from the runtime when its exit was processed.
    if (record.State.Running) await runtime.delete(id, { force: true });
    await store.forget(id);
    registry.delete(record);
    await volumes?.removeContainerVolumes(id, removeAnonymousVolumes).catch((error: unknown) => {
      logger.warn('releasing volumes failed', { id, error });
    });
    const cleanup = this.removeDirectories(id);
    // A crash before it ends leaves record-less directories, which recovery removes.
    if (options.cleanupInBackground) {
      cleanup.catch((error: unknown) => {
        logger.warn('removing container directories failed', { id, error });
      });
    } else {
      await cleanup;
    }
    registry.emit(record, 'destroy');
    registry.notifyWaiters(id, 'removed', { StatusCode: record.State.ExitCode, Error: null });
  }

  /** The rootfs mount, the bundle and the record's directory of a forgotten container. */
  private async removeDirectories(id: string): Promise<void> {
    const { runner, rootfs, store } = this.deps;
    await runner.released(id);
    await rootfs.unmount(runner.rootfsPath(id));
    await Promise.all([
      rm(this.deps.bundleDir(id), { recursive: true, force: true }),
      store.remove(id),
    ]);
  }
}
