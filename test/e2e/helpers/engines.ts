// Real engines for the e2e tests, behind one shape so each flow runs against any of them.
// dockerd (Debian's docker.io, via test/fixtures/dockerd.ts) runs on its own socket, data root,
// exec root and pidfile, and is removed afterwards. berthd comes from test/api/helpers/berthd.ts.
import Docker from 'dockerode';
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

/** Engines to run e2e flows against: BERTH_E2E_ENGINES=dockerd,berthd (default dockerd). */
export function enginesUnderTest(): EngineKind[] {
  const requested = (process.env.BERTH_E2E_ENGINES ?? 'dockerd')
    .split(',')
    .map((name) => name.trim());
  for (const name of requested) {
    if (name !== 'dockerd' && name !== 'berthd')
      throw new Error(`unknown engine "${name}" in BERTH_E2E_ENGINES`);
  }
  return requested as EngineKind[];
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

export function startEngine(kind: EngineKind, options: EngineOptions = {}): Promise<TestEngine> {
  return kind === 'dockerd' ? startDockerdEngine(options) : startBerthdEngine(options);
}
