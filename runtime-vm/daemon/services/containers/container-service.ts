// Docker's container API as a service: create, start, stop, kill, restart, pause, remove, rename,
// wait, update, list, inspect, top, prune. State lives in ContainerRegistry; processes in
// ContainerRunner. After a daemon restart `init()` re-adopts what kept running.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism, constants as osConstants, hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ConflictError, InvalidArgumentError, NotModifiedError } from '../../errors';
import type { Logger } from '../../logger';
import type { EventBus } from '../events';
import { OverlayRootfs, rootfsLayout } from '../../drivers/rootfs/overlay-rootfs';
import { ConmonRuncDriver } from '../../drivers/runtime/conmon-runc-driver';
import type { RuntimeDriver } from '../../drivers/runtime/runtime-driver';
import type { Change, PathStat } from './container-files';
import { ContainerFileAccess, type TarStream } from './container-file-access';
import { ContainerStore } from './container-store';
import { ContainerViews, type ListOptions } from './container-views';
import {
  commandLine,
  effectiveConfig,
  knownRuntime,
  normalizeHostConfig,
  validateRestartPolicy,
} from './create-config';
import { newRecord, validateHostConfig, writeHostFiles } from './create-setup';
import { directorySize, type TopResult } from './host-queries';
import { pruneMatches } from './list-filters';
import { generateName, normalizeName } from './names';
import { containerDirectory, initialEndpoints, type ContainerNetworking } from './networking';
import { recoverContainers } from './recovery';
import { ContainerRemoval } from './removal';
import { RunEnvironment } from './run-environment';
import type { ContainerVolumes } from './volumes';
import { StreamSupport } from './stream-support';
import type { ConmonAttachConnection } from '../../drivers/attach/conmon-attach';
import { ContainerRegistry, type WaitCondition, type WaitResult } from './registry';
import { ContainerRunner } from './runner';
import { ociResources, validateResources } from './spec/resources';
import type { ContainerRecord, CreateRequest, HostConfig, ImageConfig } from './types';

export type { ListOptions };

/** What containers need from the image service (the consumer owns this interface). */
export interface ContainerImages {
  resolveForContainer(ref: string): Promise<{
    id: string;
    name: string;
    config: ImageConfig;
    layerPaths: string[];
  }>;
  setInUseChecker?(checker: (imageId: string) => boolean): void;
}

export interface ContainerServiceOptions {
  dataRoot: string;
  execRoot: string;
  images: ContainerImages;
  events: EventBus;
  logger: Logger;
  /** Defaults to conmon + runc with state under `<execRoot>`. */
  runtime?: RuntimeDriver;
  /** The OCI runtime binary of the default driver; /usr/sbin/runc when absent. */
  runtimePath?: string;
  /** Environment that binary needs on top of berthd's (see sealed-binary.ts). */
  runtimeEnv?: Record<string, string>;
  rootfs?: OverlayRootfs;
  /** Daemon option: containers get no-new-privileges unless they opt out. */
  noNewPrivileges?: boolean;
  /** A static init for `--init`, bind-mounted as /sbin/docker-init. */
  initBinaryPath?: string;
  /**
   * The network service. Without it, `host` shares the host's namespace and every other mode
   * (bridge included) gets a private namespace with loopback only.
   */
  networks?: ContainerNetworking;
  /** The volume service. Without it, named and anonymous volumes are refused with a 400. */
  volumes?: ContainerVolumes;
}

export interface StopOptions {
  signal?: string;
  /** Seconds before SIGKILL; negative waits forever. */
  timeout?: number;
}

const signals = osConstants.signals as Record<string, number | undefined>;

/** A signal name (TERM, SIGTERM) or number, normalized; 400 for anything else. */
export function normalizeSignal(raw: string): string {
  const value = raw.trim().toUpperCase();
  if (/^\d+$/.test(value) && Number(value) > 0 && Number(value) < 65) return value;
  const name = value.startsWith('SIG') ? value : `SIG${value}`;
  if (signals[name] === undefined) throw new InvalidArgumentError(`Invalid signal: ${raw}`);
  return name;
}

export class ContainerService {
  private readonly registry: ContainerRegistry;
  private readonly runner: ContainerRunner;
  private readonly removal: ContainerRemoval;
  private readonly runtime: RuntimeDriver;
  private readonly rootfs: OverlayRootfs;
  private readonly store: ContainerStore;
  private readonly views: ContainerViews;
  private readonly files: ContainerFileAccess;
  private readonly streams: StreamSupport;
  private readonly cpuCount = availableParallelism();

  constructor(private readonly options: ContainerServiceOptions) {
    this.store = new ContainerStore(options.dataRoot);
    this.registry = new ContainerRegistry(this.store, options.events);
    this.runtime =
      options.runtime ??
      new ConmonRuncDriver({
        stateDir: options.execRoot,
        ...(options.runtimePath ? { runcPath: options.runtimePath } : {}),
        ...(options.runtimeEnv ? { runtimeEnv: options.runtimeEnv } : {}),
      });
    this.rootfs = options.rootfs ?? new OverlayRootfs();
    this.runner = new ContainerRunner({
      registry: this.registry,
      runtime: this.runtime,
      rootfs: this.rootfs,
      paths: {
        dataDir: (id) => this.store.dir(id),
        bundleDir: (id) => this.bundleDir(id),
      },
      logger: options.logger.child({ component: 'containers' }),
      initBinaryPath: options.initBinaryPath ?? '/usr/bin/tini-static',
      noNewPrivileges: options.noNewPrivileges ?? false,
      ...(options.networks ? { networks: options.networks } : {}),
      ...(options.volumes ? { volumes: options.volumes } : {}),
      autoRemove: (record) => this.removal.remove(record, true, { cleanupInBackground: true }),
    });
    this.removal = new ContainerRemoval({
      registry: this.registry,
      store: this.store,
      runtime: this.runtime,
      rootfs: this.rootfs,
      runner: this.runner,
      logger: options.logger,
      bundleDir: (id) => this.bundleDir(id),
      ...(options.volumes ? { volumes: options.volumes } : {}),
    });
    this.streams = new StreamSupport({
      registry: this.registry,
      runner: this.runner,
      runtime: this.runtime,
      bundleDir: (id) => this.bundleDir(id),
    });
    // docker cp on a never-started container sees its volumes: they are created as on a start.
    const volumeSetup = new RunEnvironment({
      registry: this.registry,
      logger: options.logger,
      ...(options.volumes ? { volumes: options.volumes } : {}),
    });
    this.files = new ContainerFileAccess({
      registry: this.registry,
      store: this.store,
      rootfs: this.rootfs,
      rootfsPath: (id) => this.runner.rootfsPath(id),
      released: (id) => this.runner.released(id),
      viewPath: (id) => join(options.execRoot, 'file-views', id),
      prepareVolumes: (record, rootfsPath) => volumeSetup.prepareVolumes(record, rootfsPath),
    });
    this.views = new ContainerViews({
      registry: this.registry,
      store: this.store,
      runtime: this.runtime,
      rootfsPath: (id) => this.runner.rootfsPath(id),
      ...(options.networks ? { networks: options.networks } : {}),
    });
    this.runner.restartHook = (record) =>
      this.registry.withLock(record.Id, async () => {
        if (!this.registry.has(record.Id) || !record.State.Restarting) return;
        await this.runner.start(record, record.LayerPaths);
      });
  }

  private bundleDir(id: string): string {
    return join(this.options.execRoot, 'containers', id);
  }

  /**
   * Loads records, removes creates a crash interrupted, re-adopts running containers (their
   * exits while we were down are recorded, restart policies applied) and deletes runtime
   * containers nobody owns.
   */
  async init(): Promise<void> {
    await this.store.init();
    await mkdir(join(this.options.execRoot, 'containers'), { recursive: true, mode: 0o700 });
    this.options.networks?.setContainerDirectory?.(containerDirectory(this.registry));
    this.options.images.setInUseChecker?.((imageId) =>
      this.registry.all().some((record) => record.Image === imageId),
    );
    await recoverContainers({
      bundlesRoot: join(this.options.execRoot, 'containers'),
      store: this.store,
      registry: this.registry,
      runner: this.runner,
      runtime: this.runtime,
      rootfs: this.rootfs,
      logger: this.options.logger,
      ...(this.options.volumes ? { volumes: this.options.volumes } : {}),
      ...(this.options.networks ? { networks: this.options.networks } : {}),
      removeRecord: (record, volumes) => this.removal.remove(record, volumes),
      startContainer: (record) => this.start(record.Id),
    });
  }

  close(): void {
    this.runner.close();
    this.runtime.close();
  }

  async create(
    request: CreateRequest,
    requestedName?: string,
  ): Promise<{ Id: string; Warnings: string[] }> {
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      throw new InvalidArgumentError('container config must be a JSON object');
    }
    const imageRef = typeof request.Image === 'string' ? request.Image.trim() : '';
    if (imageRef === '')
      throw new InvalidArgumentError('No image specified: config.Image is empty');
    const hostConfig = normalizeHostConfig(request.HostConfig);
    hostConfig.Runtime = knownRuntime(hostConfig.Runtime, this.runtime.name);
    validateHostConfig(
      hostConfig,
      this.cpuCount,
      this.registry,
      this.options.networks,
      this.options.volumes,
    );
    const endpoints = initialEndpoints(
      hostConfig.NetworkMode,
      request.NetworkingConfig?.EndpointsConfig,
      this.options.networks,
    );
    const name = requestedName ? normalizeName(requestedName) : undefined;
    if (name) this.registry.assertNameFree(name);
    const image = await this.options.images.resolveForContainer(imageRef);
    const config = effectiveConfig(request, image.config, imageRef);
    const { path, args } = commandLine(config);
    const id = randomBytes(32).toString('hex');
    const finalName = name ?? this.freshName();
    this.registry.reserveName(finalName, id);
    const dataDir = this.store.dir(id);
    try {
      await mkdir(dataDir, { recursive: true, mode: 0o710 });
      const hostNetwork = hostConfig.NetworkMode === 'host';
      const hostname = config.Hostname || (hostNetwork ? osHostname() : id.slice(0, 12));
      const record = newRecord({
        id,
        name: finalName,
        path,
        args,
        config: { ...config, Hostname: hostname },
        hostConfig,
        image,
        imageRef,
        endpoints,
        dataDir,
      });
      await writeHostFiles(record, hostNetwork);
      await this.rootfs.prepare(dataDir);
      // The record is written last: a directory without it is an unfinished create.
      await this.store.save(record);
      this.registry.add(record);
    } catch (error) {
      this.registry.releaseName(finalName, id);
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
    const record = this.registry.get(id);
    this.registry.emit(record, 'create');
    return { Id: id, Warnings: [] };
  }

  async start(ref: string): Promise<void> {
    const record = this.registry.get(ref);
    await this.registry.withLock(record.Id, async () => {
      if (record.State.Paused) {
        throw new ConflictError('cannot start a paused container, try unpause instead');
      }
      if (record.State.Running && !record.State.Restarting) {
        throw new NotModifiedError('container already started');
      }
      if (record.State.Status === 'removing' || !this.registry.has(record.Id)) {
        throw new ConflictError(
          `container ${record.Id} is marked for removal and cannot be started`,
        );
      }
      record.ManuallyStopped = false;
      this.runner.resetBackoff(record.Id);
      try {
        await this.runner.start(record, record.LayerPaths);
      } catch (error) {
        // dockerd removes an AutoRemove container whose start failed (`docker run --rm`).
        if (record.HostConfig.AutoRemove) {
          await this.removal.remove(record, true).catch(() => undefined);
        }
        throw error;
      }
    });
  }

  async stop(ref: string, options: StopOptions = {}): Promise<void> {
    const record = this.registry.get(ref);
    const signal = normalizeSignal(options.signal ?? record.Config.StopSignal ?? 'SIGTERM');
    if (!record.State.Running && !record.State.Restarting) {
      throw new NotModifiedError('container already stopped');
    }
    record.ManuallyStopped = true;
    await this.runner.stop(record, signal, this.stopTimeout(record, options.timeout));
    this.registry.emit(record, 'stop');
  }

  async restart(ref: string, options: StopOptions = {}): Promise<void> {
    const record = this.registry.get(ref);
    if (record.State.Running || record.State.Restarting) {
      const signal = normalizeSignal(options.signal ?? record.Config.StopSignal ?? 'SIGTERM');
      record.ManuallyStopped = true;
      await this.runner
        .stop(record, signal, this.stopTimeout(record, options.timeout))
        .catch((error: unknown) => {
          if (!(error instanceof NotModifiedError)) throw error;
        });
      this.registry.emit(record, 'stop');
    }
    await this.start(record.Id).catch((error: unknown) => {
      if (!(error instanceof NotModifiedError)) throw error;
    });
    this.registry.emit(record, 'restart');
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const record = this.registry.get(ref);
    const normalized = normalizeSignal(signal);
    if (!record.State.Running) {
      throw new ConflictError(
        `Cannot kill container: ${ref}: Container ${record.Id} is not running`,
      );
    }
    record.ManuallyStopped = true;
    await this.runner.kill(record, normalized);
  }

  async pause(ref: string): Promise<void> {
    const record = this.registry.get(ref);
    await this.registry.withLock(record.Id, () => this.runner.pause(record));
  }

  async unpause(ref: string): Promise<void> {
    const record = this.registry.get(ref);
    await this.registry.withLock(record.Id, () => this.runner.resume(record));
  }

  async remove(ref: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const record = this.registry.get(ref);
    if (record.State.Running && !options.force) {
      const what = record.State.Paused ? 'paused' : 'running';
      throw new ConflictError(
        `cannot remove container "${record.Name}": container is ${what}: stop the container before removing or force remove`,
      );
    }
    if (record.State.Status === 'removing') {
      throw new ConflictError(`removal of container ${record.Id} is already in progress`);
    }
    record.ManuallyStopped = true;
    this.runner.cancelRestart(record.Id);
    if (record.State.Running) {
      const exited = this.runner.exited(record.Id);
      await this.runner.kill(record, 'SIGKILL').catch((error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
      });
      await exited;
    }
    // As dockerd: a docker cp still streaming holds the container (and its mounted rootfs and
    // volumes) until it is read or dropped; the removal waits for it rather than racing it.
    await this.registry.withLock(record.Id, async () => undefined);
    // The exit may have auto-removed it already.
    if (!this.registry.has(record.Id)) return;
    await this.removal.remove(record, options.volumes === true);
  }

  async rename(ref: string, newName: string): Promise<void> {
    const record = this.registry.get(ref);
    if (!newName) throw new InvalidArgumentError('Neither old nor new names may be empty');
    const name = normalizeName(newName);
    if (name === record.Name) {
      throw new InvalidArgumentError(`Renaming a container with the same name as its current name`);
    }
    const oldName = record.Name;
    this.registry.reserveName(name, record.Id);
    record.Name = name;
    try {
      await this.registry.save(record);
    } catch (error) {
      record.Name = oldName;
      this.registry.releaseName(name, record.Id);
      throw error;
    }
    this.registry.releaseName(oldName, record.Id);
    await this.options.networks?.renameContainer?.(record.Id, name);
    this.registry.emit(record, 'rename', { oldName });
  }

  /**
   * Registers a wait synchronously (so 404 is known before the caller flushes headers) and
   * returns the eventual result.
   */
  beginWait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    const record = this.registry.get(ref);
    const current = (): WaitResult => ({ StatusCode: record.State.ExitCode, Error: null });
    if (condition === 'not-running' && !record.State.Running && !record.State.Restarting) {
      return Promise.resolve(current());
    }
    return this.registry.addWaiter(record.Id, condition, signal);
  }

  async update(ref: string, body: HostConfig): Promise<{ Warnings: string[] }> {
    const record = this.registry.get(ref);
    if (body === null || typeof body !== 'object')
      throw new InvalidArgumentError('update body must be an object');
    const resourceKeys = [
      'Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod',
      'CpuQuota', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight',
    ] as const; // prettier-ignore
    const next: HostConfig = { ...record.HostConfig };
    for (const key of resourceKeys) {
      if (
        body[key] !== undefined &&
        body[key] !== null &&
        !(typeof body[key] === 'number' && body[key] === 0 && key !== 'PidsLimit')
      ) {
        (next as Record<string, unknown>)[key] = body[key];
      }
    }
    if (body.RestartPolicy?.Name !== undefined && body.RestartPolicy.Name !== '') {
      validateRestartPolicy(body.RestartPolicy, next.AutoRemove === true);
      next.RestartPolicy = body.RestartPolicy;
    }
    validateResources(next, this.cpuCount);
    if (record.State.Running) {
      await this.runtime.update(record.Id, ociResources(next, this.runner.swapLimitSupported));
    }
    record.HostConfig = next;
    await this.registry.save(record);
    this.registry.emit(record, 'update');
    return { Warnings: [] };
  }

  async prune(
    filters: Map<string, string[]>,
  ): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const record of this.registry.all()) {
      if (record.State.Running || record.State.Restarting || record.State.Status === 'removing')
        continue;
      if (!pruneMatches(record, filters)) continue;
      const size = await directorySize(rootfsLayout(this.store.dir(record.Id)).upperDir);
      await this.removal.remove(record);
      deleted.push(record.Id);
      reclaimed += size;
    }
    this.options.events.emit({
      Type: 'container',
      Action: 'prune',
      Actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } },
    });
    return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  /** The container's own changes (its overlay upper dir), for the builder's commit of a RUN. */
  writableLayerDir(ref: string): string {
    return rootfsLayout(this.store.dir(this.registry.get(ref).Id)).upperDir;
  }

  changes(ref: string): Promise<Change[]> {
    return this.files.changes(ref);
  }

  export(ref: string, signal?: AbortSignal): Promise<TarStream> {
    return this.files.export(ref, signal);
  }

  archiveStat(ref: string, path: string): Promise<PathStat> {
    return this.files.stat(ref, path);
  }

  archiveGet(
    ref: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<TarStream & { stat: PathStat }> {
    return this.files.get(ref, path, signal);
  }

  archivePut(
    ref: string,
    path: string,
    body: Readable,
    options: { noOverwriteDirNonDir: boolean; copyUidGid: boolean },
  ): Promise<void> {
    return this.files.put(ref, path, body, options);
  }

  list(options: ListOptions): Promise<object[]> {
    return this.views.list(options);
  }

  inspect(ref: string, size = false): Promise<object> {
    return this.views.inspect(ref, size);
  }

  top(ref: string, psArgs?: string): Promise<TopResult> {
    return this.views.top(ref, psArgs);
  }

  /**
   * For attach before start: `hook` runs at the container's next start, after conmon is up and
   * before the process runs (see ContainerRunner.onNextStart). Returns a disposer.
   */
  onNextStart(ref: string, hook: () => Promise<void>): () => void {
    return this.runner.onNextStart(this.registry.get(ref).Id, hook);
  }

  /** For the logs/attach/stats routes (ContainerStreamsBackend) and exec (ExecContainers). */
  async streamTarget(ref: string): Promise<ReturnType<StreamSupport['streamTarget']>> {
    return this.streams.streamTarget(ref);
  }

  whenStopped(ref: string, signal: AbortSignal): Promise<void> {
    return this.streams.whenStopped(ref, signal);
  }

  attach(ref: string, signal: AbortSignal): Promise<ConmonAttachConnection> {
    return this.streams.attach(ref, signal);
  }

  resize(ref: string, height: number, width: number): Promise<void> {
    return this.streams.resize(ref, height, width);
  }

  async execTarget(ref: string): Promise<ReturnType<StreamSupport['execTarget']>> {
    return this.streams.execTarget(ref);
  }

  /** What the streams (logs, attach, stats) need to know about a container. */
  runtimeInfo(ref: string): {
    id: string;
    name: string;
    tty: boolean;
    openStdin: boolean;
    stdinOnce: boolean;
    running: boolean;
    pid: number;
    logPath: string;
    attachSocketPath: string;
    controlPath: string;
    cgroupPath: string;
    /** Settles when the current run ends (immediately if not running). */
    exited: Promise<void>;
  } {
    const record = this.registry.get(ref);
    return {
      id: record.Id,
      name: record.Name,
      tty: record.Config.Tty === true,
      openStdin: record.Config.OpenStdin === true,
      stdinOnce: record.Config.StdinOnce === true,
      running: record.State.Running,
      pid: record.State.Pid,
      logPath: record.LogPath,
      attachSocketPath: this.runtime.attachSocketPath(record.Id),
      controlPath: this.runtime.controlPath(this.bundleDir(record.Id)),
      cgroupPath: `/berth/${record.Id}`,
      exited: this.runner.exited(record.Id),
    };
  }

  private freshName(): string {
    for (let attempt = 0; attempt < 20; attempt++) {
      const name = `/${generateName(attempt > 5 ? attempt : 0)}`;
      if (!this.registry.nameTaken(name)) return name;
    }
    return `/berth_${randomBytes(6).toString('hex')}`;
  }

  private stopTimeout(record: ContainerRecord, requested?: number): number {
    if (requested !== undefined && Number.isFinite(requested)) return requested;
    const configured = record.Config.StopTimeout;
    return typeof configured === 'number' ? configured : 10;
  }
}
