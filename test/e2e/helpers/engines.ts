// Real engines for the e2e tests, behind one shape so each flow runs against any of them.
// dockerd (Debian's docker.io, via test/fixtures/dockerd.ts) runs on its own socket, data root,
// exec root and pidfile, and is removed afterwards. berthd comes from test/api/helpers/berthd.ts.
// The run's global setup (shared-engines.ts) starts one engine of each kind for all files; a
// file's stop() then empties that engine for the next file instead of shutting it down.
import Docker from 'dockerode';
import { inject } from 'vitest';
import { startDockerd } from '../../fixtures/dockerd';
import { startBerthd } from '../../api/helpers/berthd';
import { stopInOrder } from './cleanup';

export type EngineKind = 'dockerd' | 'berthd';

export interface TestEngine {
  kind: EngineKind;
  /** unix:///… endpoint for `--engine` */
  endpoint: string;
  socketPath: string;
  docker: Docker;
  stop(): Promise<void>;
}

/**
 * Engines to run e2e flows against, in order: BERTH_E2E_ENGINES=berthd,dockerd (the default:
 * berthd first, then Debian's dockerd as the "real Docker"; engines.test.ts configures the first
 * two at once and switches between them).
 */
export function enginesUnderTest(): EngineKind[] {
  const requested = (process.env.BERTH_E2E_ENGINES || 'berthd,dockerd')
    .split(',')
    .map((name) => name.trim());
  for (const name of requested) {
    if (name !== 'dockerd' && name !== 'berthd')
      throw new Error(`unknown engine "${name}" in BERTH_E2E_ENGINES`);
  }
  return requested as EngineKind[];
}

/** What the global setup hands to the test files about an engine it started. */
export interface SharedEngineInfo {
  kind: EngineKind;
  endpoint: string;
  socketPath: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    berthE2eEngines: SharedEngineInfo[];
  }
}

async function removeAllContainers(docker: Docker): Promise<void> {
  const containers = await docker.listContainers({ all: true });
  await Promise.all(
    containers.map((container) => docker.getContainer(container.Id).remove({ force: true })),
  );
}

async function removeUserNetworks(docker: Docker): Promise<void> {
  const builtIn = new Set(['bridge', 'host', 'none']);
  const networks = await docker.listNetworks();
  for (const network of networks.filter((entry) => !builtIn.has(entry.Name))) {
    await docker.getNetwork(network.Id).remove();
  }
}

export interface EngineOptions {
  /** host:port of plain-HTTP registries (loopback test registries). */
  insecureRegistries?: string[];
}

export async function startDockerdEngine(options: EngineOptions = {}): Promise<TestEngine> {
  // No default bridge and no iptables (see the fixture): the host's firewall is untouched; tests
  // that publish ports use a user-defined bridge network and dockerd's userland proxy.
  const dockerd = await startDockerd({ insecureRegistries: options.insecureRegistries ?? [] });
  const docker = new Docker({ socketPath: dockerd.socket });
  return {
    kind: 'dockerd',
    endpoint: dockerd.host,
    socketPath: dockerd.socket,
    docker,
    stop: () =>
      stopInOrder(
        () => removeAllContainers(docker),
        // A user-defined bridge network is a Linux bridge on the host that outlives dockerd.
        () => removeUserNetworks(docker),
        () => dockerd.stop(),
      ),
  };
}

export async function startBerthdEngine(options: EngineOptions = {}): Promise<TestEngine> {
  const berthd = await startBerthd({
    config: options.insecureRegistries?.length
      ? { 'insecure-registries': options.insecureRegistries }
      : {},
  });
  const docker = new Docker({ socketPath: berthd.socket });
  return {
    kind: 'berthd',
    endpoint: berthd.host,
    socketPath: berthd.socket,
    docker,
    stop: () =>
      stopInOrder(
        () => removeAllContainers(docker),
        () => removeUserNetworks(docker),
        () => berthd.stop(),
      ),
  };
}

/** Starts an engine of its own (the global setup's, or a test's that needs a private one). */
export function launchEngine(kind: EngineKind, options: EngineOptions = {}): Promise<TestEngine> {
  return kind === 'dockerd' ? startDockerdEngine(options) : startBerthdEngine(options);
}

async function removeAllVolumes(docker: Docker): Promise<void> {
  const { Volumes } = await docker.listVolumes();
  for (const volume of Volumes ?? []) await docker.getVolume(volume.Name).remove({ force: true });
}

async function removeAllImages(docker: Docker): Promise<void> {
  for (const image of await docker.listImages({ all: true })) {
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch((error: { statusCode?: number }) => {
        // A parent removed with its child first is already gone.
        if (error.statusCode !== 404) throw error;
      });
  }
}

function sharedEngine(kind: EngineKind): SharedEngineInfo | undefined {
  let shared: SharedEngineInfo[] | undefined;
  try {
    shared = inject('berthE2eEngines');
  } catch {
    return undefined; // outside a vitest worker (e.g. the global setup itself)
  }
  return shared?.find((engine) => engine.kind === kind);
}

/**
 * The run's shared engine of this kind when the global setup started one, else a new engine.
 * Loopback registries need no insecure-registries entry on either engine (both reach
 * 127.0.0.0/8 over plain HTTP), so a shared engine serves every file's registry.
 */
export async function startEngine(
  kind: EngineKind,
  options: EngineOptions = {},
): Promise<TestEngine> {
  const shared = sharedEngine(kind);
  const loopbackOnly = (options.insecureRegistries ?? []).every((host) => host.startsWith('127.'));
  if (!shared || !loopbackOnly) return launchEngine(kind, options);
  const docker = new Docker({ socketPath: shared.socketPath });
  // A file starts from an empty engine, whatever the file before it left.
  await emptyEngine(docker);
  return {
    ...shared,
    docker,
    stop: () => emptyEngine(docker),
  };
}

/** Removes every container, user network, volume and image: the engine as freshly started. */
export function emptyEngine(docker: Docker): Promise<void> {
  return stopInOrder(
    () => removeAllContainers(docker),
    () => removeUserNetworks(docker),
    () => removeAllVolumes(docker),
    () => removeAllImages(docker),
  );
}
