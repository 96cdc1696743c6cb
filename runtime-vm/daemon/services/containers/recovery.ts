// Daemon start after a restart or a crash: removes creates that never finished, re-adopts the
// containers that kept running (recording the exits that happened meanwhile, with restart
// policies applied) and deletes runtime containers nobody owns.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../logger';
import type { OverlayRootfs } from '../../drivers/rootfs/overlay-rootfs';
import type { RuntimeDriver } from '../../drivers/runtime/runtime-driver';
import type { ContainerStore } from './container-store';
import type { ContainerRegistry } from './registry';
import type { ContainerRunner } from './runner';
import type { ContainerRecord } from './types';
import type { ContainerNetworking } from './networking';
import type { ContainerVolumes } from './volumes';

/**
 * Bundles (under the exec root) whose record is gone: a removal whose cleanup the crash cut
 * short. Their rootfs is unmounted before anything under it is deleted.
 */
async function removeOrphanBundles(deps: RecoveryDeps, known: Set<string>): Promise<void> {
  const entries = await readdir(deps.bundlesRoot).catch(() => []);
  for (const id of entries) {
    if (known.has(id)) continue;
    deps.logger.warn('removing the bundle of a container whose removal did not finish', { id });
    await deps.rootfs.unmount(deps.runner.rootfsPath(id));
    await rm(join(deps.bundlesRoot, id), { recursive: true, force: true });
  }
}

export interface RecoveryDeps {
  /** Where the containers' OCI bundles live: `<bundlesRoot>/<id>`. */
  bundlesRoot: string;
  store: ContainerStore;
  registry: ContainerRegistry;
  runner: ContainerRunner;
  runtime: RuntimeDriver;
  rootfs: OverlayRootfs;
  logger: Logger;
  volumes?: ContainerVolumes;
  networks?: Pick<ContainerNetworking, 'detachAllExcept'>;
  removeRecord(record: ContainerRecord, removeAnonymousVolumes?: boolean): Promise<void>;
  startContainer(record: ContainerRecord): Promise<void>;
}

export async function recoverContainers(deps: RecoveryDeps): Promise<void> {
  const { records, incomplete } = await deps.store.loadAll();
  const known = new Set(records.map((record) => record.Id));
  await removeOrphanBundles(deps, known);
  await deps.networks?.detachAllExcept?.(known);
  for (const dir of incomplete) {
    deps.logger.warn('removing a container whose create did not finish', { dir });
    await rm(dir, { recursive: true, force: true });
  }
  for (const record of records) {
    deps.registry.add(record);
    const names = (record.MountPoints ?? []).flatMap((point) => {
      const name = (point as { Name?: unknown }).Name;
      return typeof name === 'string' ? [name] : [];
    });
    deps.volumes?.reference(record.Id, names);
  }
  deps.runner.watch();
  for (const state of await deps.runtime.list()) {
    const record = deps.registry.byId(state.id);
    if (!known.has(state.id) || (record && !record.State.Running && !record.State.Restarting)) {
      // A start interrupted by the crash, or a container of a removal that did not finish.
      await deps.runtime.delete(state.id, { force: true }).catch(() => undefined);
    }
  }
  const rolledBack: ContainerRecord[] = [];
  for (const record of records) {
    if (record.State.Running || record.State.Restarting) {
      record.State.Restarting = false;
      record.State.Running = true;
      const outcome = await deps.runner.adopt(record).catch((error: unknown) => {
        deps.logger.error('re-adopting a container failed', { id: record.Id, error });
      });
      if (outcome === 'rolled-back') rolledBack.push(record);
    } else if (record.State.Status === 'removing') {
      await deps.removeRecord(record);
    } else {
      // A stopped container: whatever its exit's background release had not done yet.
      await deps.runner.releaseStopped(record.Id);
    }
  }
  // A start the crash undid: `--rm` containers go (dockerd removes stopped AutoRemove
  // containers when it starts); ones with a restart policy get the start they asked for.
  for (const record of rolledBack) {
    const policy = record.HostConfig.RestartPolicy?.Name ?? 'no';
    const restart = policy === 'always' || policy === 'unless-stopped';
    const done = record.HostConfig.AutoRemove
      ? deps.removeRecord(record, true)
      : restart
        ? deps.startContainer(record)
        : Promise.resolve();
    await done.catch((error: unknown) => {
      deps.logger.warn('finishing an interrupted start failed', { id: record.Id, error });
    });
  }
  // dockerd: an `always` container that was stopped by hand comes back when the daemon starts.
  for (const record of records) {
    if (record.HostConfig.RestartPolicy?.Name !== 'always' || record.State.Running) continue;
    if (record.State.Restarting || !record.ManuallyStopped) continue;
    record.ManuallyStopped = false;
    await deps.startContainer(record).catch((error: unknown) => {
      deps.logger.warn('starting an always-restart container failed', { id: record.Id, error });
    });
  }
}
