// Builds berthd from options: stores, drivers and services, the route table, the API server and
// its listeners. `start()` returns a handle whose `stop()` drains requests and releases everything
// it opened. Containers keep running across a stop (conmon holds them).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, errorMessage } from './errors';
import type { Logger } from './logger';
import type { DaemonOptions } from './config/options';
import { assertHostsFree, listenAll, resolveSocketGroup, type Listener } from './api/listeners';
import { createApiServer, type ApiServer } from './api/server';
import type { Route } from './api/route';
import { eventsRoutes } from './api/routers/events';
import { authRoutes } from './api/routers/auth';
import { containersRoutes } from './api/routers/containers';
import { containerStreamsRoutes } from './api/routers/container-streams';
import { execRoutes } from './api/routers/exec';
import { imagesRoutes } from './api/routers/images';
import { networksRoutes } from './api/routers/networks';
import { volumesRoutes } from './api/routers/volumes';
import { imageTransferRoutes } from './api/routers/images-transfer';
import { systemRoutes } from './api/routers/system';
import { buildRoutes } from './api/routers/build';
import { maxApiVersion, minApiVersion } from './api/version';
import { CgroupReader } from './drivers/cgroups/cgroup-reader';
import { ConmonExecLauncher } from './drivers/exec/conmon-exec';
import { RuntimeExecLauncher } from './drivers/exec/runtime-exec';
import {
  SEALED_RUNTIME_ENV,
  releaseRuntimeBinary,
  sealRuntimeBinary,
  sealedRuntimePath,
} from './drivers/runtime/sealed-binary';
import { RegistryClient } from './drivers/registry/client';
import { LayerStore } from './drivers/snapshots/layer-store';
import { ContainerService } from './services/containers/container-service';
import { BuildService } from './services/build/build-service';
import { OverlayRootfs } from './drivers/rootfs/overlay-rootfs';
import { EventBus } from './services/events';
import { ExecService } from './services/exec/exec-service';
import { containerStats } from './services/stats/container-stats';
import { StatsSampler, hostStatsSources } from './services/stats/stats-sampler';
import { NetworkService } from './services/networks/network-service';
import { VolumeService } from './services/volumes/volume-service';
import { ImageService } from './services/images/image-service';
import { berthVersion, SystemService } from './services/system/system-service';
import { RuntimeFeatureProbe } from './services/system/runtime-features';
import { BlobStore } from './store/blob-store';
import { ImageStore } from './store/image-store';

export interface RunningDaemon {
  readonly events: EventBus;
  readonly images: ImageService;
  readonly server: ApiServer;
  readonly listeners: Listener[];
  /** Drains in-flight requests (up to graceMs), closes listeners, removes the pidfile. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartupOrder {
  /**
   * Listen before the slow start-up work (image store, volumes, networks with their bridges and
   * iptables, re-adopted containers, build cache) and answer `/_ping` at once; every other request
   * waits until that work is done. The VM's init asks for this: under emulation each `ip` and
   * `iptables` run costs a few hundred ms, and the host only needs to know the engine is coming.
   */
  listenBeforeInit?: boolean;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function claimPidfile(path: string): Promise<void> {
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  const pid = existing ? Number(existing.trim()) : NaN;
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
    throw new ConflictError(
      `pid file ${path} names a running process (${pid}): is berthd already running?`,
    );
  }
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `${process.pid}\n`);
}

export async function startDaemon(
  options: DaemonOptions,
  logger: Logger,
  order: StartupOrder = {},
): Promise<RunningDaemon> {
  await mkdir(options.dataRoot, { recursive: true, mode: 0o711 });
  await mkdir(options.execRoot, { recursive: true, mode: 0o711 });
  // Before touching any state (bridges, iptables, re-adopted containers): is another berthd here?
  await assertHostsFree(options.hosts);
  await claimPidfile(options.pidfile);
  // Undo steps for a start-up that fails half-way, newest first.
  const undo: Array<() => unknown> = [() => rm(options.pidfile, { force: true })];
  try {
    return await assemble(options, logger, undo, order);
  } catch (error) {
    for (const step of undo.reverse()) {
      await Promise.resolve()
        .then(step)
        .catch((cleanupError: unknown) => {
          logger.warn('cleanup after a failed start failed', { error: errorMessage(cleanupError) });
        });
    }
    throw error;
  }
}

async function assemble(
  options: DaemonOptions,
  logger: Logger,
  undo: Array<() => unknown>,
  order: StartupOrder,
): Promise<RunningDaemon> {
  const events = new EventBus();
  const registry = new RegistryClient({
    insecureRegistries: options.insecureRegistries,
    userAgent: `berth/${berthVersion} (linux)`,
  });
  const images = new ImageService({
    blobs: new BlobStore(join(options.dataRoot, 'image', 'blobs')),
    layers: new LayerStore(join(options.dataRoot, 'layers')),
    images: new ImageStore(join(options.dataRoot, 'image')),
    registry,
    events,
    logger: logger.child({ component: 'images' }),
    tmpRoot: join(options.dataRoot, 'image', 'tmp'),
  });
  const runtimeFeatures = new RuntimeFeatureProbe(options.runtimePath);
  const system = new SystemService({
    dataRoot: options.dataRoot,
    apiVersion: maxApiVersion,
    minApiVersion,
    images,
    eventListeners: () => events.subscriberCount,
    runtimePath: options.runtimePath,
    runtime: runtimeFeatures,
    defaultAddressPools: options.defaultAddressPools,
  });

  const volumes = new VolumeService({
    dataRoot: options.dataRoot,
    events,
    logger,
    recursiveReadOnly: () => runtimeFeatures.recursiveReadOnly(),
  });
  const networks = new NetworkService({
    dataRoot: options.dataRoot,
    events,
    logger,
    defaultBridgeSubnet: options.bip,
    addressPools: options.defaultAddressPools,
    userlandProxy: options.userlandProxy,
  });
  undo.push(() => networks.shutdown());
  // Containers and execs run the runtime from its read-only bind, made in `initialise`.
  const runtimePath = sealedRuntimePath(options.runtimePath, options.execRoot);
  const containers = new ContainerService({
    dataRoot: options.dataRoot,
    execRoot: options.execRoot,
    images,
    events,
    logger,
    networks,
    volumes,
    noNewPrivileges: options.noNewPrivileges,
    runtimePath,
    runtimeEnv: SEALED_RUNTIME_ENV,
  });
  undo.push(() => containers.close());
  const build = new BuildService({
    dataRoot: options.dataRoot,
    images,
    imageRecords: () => images.deps.images.all(),
    containers,
    overlay: new OverlayRootfs(),
    logger: logger.child({ component: 'build' }),
  });
  system.attachBuildCache(build);
  // The services are built without I/O above; their state is loaded (and bridges, iptables and
  // re-adopted containers restored) here, in this order.
  const initialise = async (): Promise<void> => {
    await sealRuntimeBinary(options.runtimePath, options.execRoot, (reason) =>
      logger.warn('the runtime re-executes itself on every call', { reason }),
    );
    undo.push(() => releaseRuntimeBinary(options.runtimePath, options.execRoot));
    await images.init();
    await system.init();
    await volumes.start();
    await networks.start();
    await containers.init();
    await build.init();
  };
  // Early listening: the work starts once the sockets are open (its subprocesses would only
  // slow the way there), and requests wait for it behind `initialised`.
  let listening: () => void = () => undefined;
  const initialised = order.listenBeforeInit
    ? new Promise<void>((resolve) => (listening = resolve)).then(initialise)
    : undefined;
  initialised?.catch(() => undefined); // awaited below, after the listeners are open
  if (!initialised) await initialise();
  // exec runs inside containers through the same runc root and socket dir as the runtime driver.
  const exec = new ExecService({
    containers,
    launchers: {
      terminal: new ConmonExecLauncher({
        conmonPath: '/usr/bin/conmon',
        runcPath: runtimePath,
        runtimeEnv: SEALED_RUNTIME_ENV,
        runcRoot: join(options.execRoot, 'runc'),
        socketDir: join(options.execRoot, 's'),
      }),
      plain: new RuntimeExecLauncher({
        runtimePath,
        runtimeEnv: SEALED_RUNTIME_ENV,
        runtimeRoot: join(options.execRoot, 'runc'),
      }),
    },
    events,
    sessionsDir: join(options.execRoot, 'exec'),
  });
  const cgroups = new CgroupReader();
  const cgroupVersion = cgroups.mode === 'v2' ? 2 : 1;
  const sampler = new StatsSampler(hostStatsSources((path) => cgroups.read(path), cgroupVersion));
  const containerStreams = containerStreamsRoutes({
    streamTarget: (ref) => containers.streamTarget(ref),
    whenStopped: (ref, signal) => containers.whenStopped(ref, signal),
    attach: (ref, signal) => containers.attach(ref, signal),
    resize: (ref, height, width) => containers.resize(ref, height, width),
    stats: (target, request) => containerStats(sampler, target, request, cgroupVersion),
  });
  const listAll = (size: boolean) =>
    containers.list({ all: true, limit: -1, size, filters: new Map() }) as Promise<
      Array<{ State?: string }>
    >;
  system.attachContainers({
    counts: async () => {
      const all = await listAll(false);
      const running = all.filter((c) => c.State === 'running').length;
      const paused = all.filter((c) => c.State === 'paused').length;
      return { total: all.length, running, paused, stopped: all.length - running - paused };
    },
    diskUsage: () => listAll(true),
  });
  system.attachVolumes(volumes);

  const shutdown = new AbortController();
  const allRoutes: Route[] = [
    ...systemRoutes(system),
    ...eventsRoutes(events, { shutdown: shutdown.signal }),
    ...imagesRoutes(images),
    ...imageTransferRoutes(images),
    ...authRoutes(images),
    ...containersRoutes(containers),
    ...containerStreams,
    ...execRoutes(exec),
    ...volumesRoutes(volumes),
    ...networksRoutes(networks),
    ...buildRoutes(build),
  ];
  const routes = initialised
    ? allRoutes.map((route) =>
        route.path === '/_ping'
          ? route
          : {
              ...route,
              handler: async (ctx: Parameters<Route['handler']>[0]) => {
                await initialised;
                return route.handler(ctx);
              },
            },
      )
    : allRoutes;
  const server = createApiServer({
    routes,
    logger: logger.child({ component: 'api' }),
    serverHeader: `Berth/${berthVersion} (linux)`,
  });
  const gid = await resolveSocketGroup(options.group, options.groupExplicit, logger);
  const listeners = await listenAll(server.http, {
    hosts: options.hosts,
    gid,
    tls: options.tls,
    log: logger,
  });
  if (initialised) {
    undo.push(() => Promise.all(listeners.map((listener) => listener.close())));
    logger.info('listening before start-up work; requests other than /_ping wait for it');
    listening();
    await initialised;
  }
  events.emit({
    Type: 'daemon',
    Action: 'start',
    Actor: { ID: system.version()['Version'] as string, Attributes: {} },
  });

  return {
    events,
    images,
    server,
    listeners,
    async stop(graceMs = 10_000) {
      shutdown.abort();
      await Promise.all(listeners.map((l) => l.close()));
      await server.drain(graceMs);
      // Containers keep running (conmon holds them); only the daemon's own watchers stop.
      containers.close();
      exec.close();
      await networks.shutdown();
      await releaseRuntimeBinary(options.runtimePath, options.execRoot).catch(() => undefined);
      await rm(options.pidfile, { force: true });
    },
  };
}
