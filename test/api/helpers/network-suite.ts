// The setup most network test files share: a registry with busybox, a berthd, a docker CLI with
// the image pulled; and a teardown that removes what the file made and checks the host kept
// none of this berthd's bridges, chains or namespaces.
import { expect } from 'vitest';
import { busyboxImage } from '../../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../../fixtures/registry';
import { instanceNetworkNames } from '../../../runtime-vm/daemon/services/networks/network-service';
import { startBerthd, type RunningBerthd } from './berthd';
import { DockerCli } from './docker-cli';
import { snapshotHostNetwork } from './netns';

export interface NetworkSuite {
  registry: TestRegistry;
  berthd: RunningBerthd;
  cli: DockerCli;
  /** busybox in the registry, already pulled. */
  image: string;
  names: ReturnType<typeof instanceNetworkNames>;
}

export async function startNetworkSuite(): Promise<NetworkSuite> {
  const parts: Partial<NetworkSuite> = {};
  try {
    parts.registry = await startRegistryWithFixtures({
      'berth-test/busybox:latest': busyboxImage(),
    });
    parts.berthd = await startBerthd();
    parts.names = instanceNetworkNames(parts.berthd.dataRoot);
    parts.cli = new DockerCli(parts.berthd.socket);
    parts.image = `${parts.registry.host}/berth-test/busybox:latest`;
    await parts.cli.ok(['pull', parts.image]);
    return parts as NetworkSuite;
  } catch (error) {
    await stopNetworkSuite(parts);
    throw error;
  }
}

export async function stopNetworkSuite(
  suite: Partial<NetworkSuite>,
  options: { pruneVolumes?: boolean } = {},
): Promise<void> {
  const { registry, berthd, cli, names } = suite;
  if (cli && berthd) {
    const ids = (await cli.run(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await cli.run(['rm', '-f', ...ids]);
    await cli.run(['network', 'prune', '-f']);
    if (options.pruneVolumes) await cli.run(['volume', 'prune', '-a', '-f']);
  }
  await berthd?.stop();
  cli?.dispose();
  await registry?.stop();
  if (!names) return;
  const after = await snapshotHostNetwork();
  expect(after.links.filter((link) => link === names.defaultBridgeName)).toEqual([]);
  expect(after.iptables.filter((line) => line.includes(names.chainPrefix))).toEqual([]);
  expect(after.namespaces.filter((ns) => ns.startsWith(names.namespacePrefix))).toEqual([]);
}
