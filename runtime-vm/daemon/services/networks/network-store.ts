// Network metadata on disk: one JSON file per network and one per attached container, written
// atomically, under <dataRoot>/network/.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../store/atomic';
import type { EndpointRecord, NetworkRecord } from './network-model';
import type { PublishRequest } from '../../drivers/network/port-bindings';

/** A container's live network state, kept so a restarted berthd can re-adopt it. */
export interface ContainerNetworkState {
  containerId: string;
  name: string;
  hostname?: string;
  /** HostConfig.NetworkMode as attached: bridge, host, none or a network name. */
  mode?: string;
  /** The namespace berthd created (absent for host networking). */
  namespace?: string;
  endpoints: EndpointRecord[];
  /** What was asked to be published, to reopen the same host ports after a restart. */
  published: { request: PublishRequest; hostPort: number }[];
}

export class NetworkStore {
  private readonly networksDir: string;
  private readonly containersDir: string;

  constructor(root: string) {
    this.networksDir = join(root, 'networks');
    this.containersDir = join(root, 'containers');
  }

  async init(): Promise<void> {
    await mkdir(this.networksDir, { recursive: true, mode: 0o700 });
    await mkdir(this.containersDir, { recursive: true, mode: 0o700 });
  }

  private static async readAll<T>(dir: string): Promise<T[]> {
    const result: T[] = [];
    for (const entry of await readdir(dir)) {
      if (!entry.endsWith('.json') || entry.startsWith('.')) continue;
      result.push(JSON.parse(await readFile(join(dir, entry), 'utf8')) as T);
    }
    return result;
  }

  loadNetworks(): Promise<NetworkRecord[]> {
    return NetworkStore.readAll<NetworkRecord>(this.networksDir);
  }

  saveNetwork(record: NetworkRecord): Promise<void> {
    return writeJsonAtomic(join(this.networksDir, `${record.id}.json`), record);
  }

  async removeNetwork(id: string): Promise<void> {
    await rm(join(this.networksDir, `${id}.json`), { force: true });
  }

  loadContainers(): Promise<ContainerNetworkState[]> {
    return NetworkStore.readAll<ContainerNetworkState>(this.containersDir);
  }

  saveContainer(state: ContainerNetworkState): Promise<void> {
    return writeJsonAtomic(join(this.containersDir, `${state.containerId}.json`), state);
  }

  async removeContainer(containerId: string): Promise<void> {
    await rm(join(this.containersDir, `${containerId}.json`), { force: true });
  }
}
