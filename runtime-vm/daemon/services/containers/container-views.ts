// Read-only views of containers: list (filters, size), inspect, top. Network facts come from the
// network service when there is one.
import { ConflictError } from '../../errors';
import { rootfsLayout } from '../../drivers/rootfs/overlay-rootfs';
import type { RuntimeDriver } from '../../drivers/runtime/runtime-driver';
import type { ContainerStore } from './container-store';
import { directorySize, topProcesses, type TopResult } from './host-queries';
import { inspectView, mountPoints, summaryView, type NetworkView } from './inspect';
import { applyFilters } from './list-filters';
import { memberNetworks, portSummaries, type ContainerNetworking } from './networking';
import type { ContainerRegistry } from './registry';
import { containerMounts } from './spec/mounts';
import type { ContainerRecord } from './types';

export interface ListOptions {
  all: boolean;
  limit: number;
  size: boolean;
  filters: Map<string, string[]>;
}

export interface ViewDeps {
  registry: ContainerRegistry;
  store: ContainerStore;
  runtime: RuntimeDriver;
  rootfsPath(id: string): string;
  networks?: ContainerNetworking;
}

/** ancestor=busybox, busybox:latest, an image id or its prefix (with or without sha256:). */
export function imageMatches(ref: string, record: ContainerRecord): boolean {
  const strip = (value: string) => value.replace(/^sha256:/, '');
  if (
    ref.length >= 4 &&
    /^(sha256:)?[0-9a-f]+$/.test(ref) &&
    strip(record.Image).startsWith(strip(ref))
  ) {
    return true;
  }
  const withTag = (value: string) => (/:[^/]+$/.test(value) ? value : `${value}:latest`);
  return withTag(ref) === withTag(record.ImageName);
}

/** inspect's Mounts[]: as the volume service reported them, else from the HostConfig. */
export function mountsOf(record: ContainerRecord): object[] {
  if (record.MountPoints) return record.MountPoints;
  try {
    return mountPoints(containerMounts(record.HostConfig));
  } catch {
    // A config only the volume service understands, never started: nothing to show yet.
    return [];
  }
}

export class ContainerViews {
  private readonly layerSizes = new Map<string, number>();

  constructor(private readonly deps: ViewDeps) {}

  async list(options: ListOptions): Promise<object[]> {
    const { registry } = this.deps;
    let records = registry
      .all()
      .sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created) || b.Id.localeCompare(a.Id));
    if (!options.all && options.limit <= 0) {
      records = records.filter((r) => r.State.Running || r.State.Restarting);
    }
    records = applyFilters(records, options.filters, {
      lookup: (ref) => registry.find(ref),
      imageMatches,
    });
    if (options.limit > 0) records = records.slice(0, options.limit);
    const now = Date.now();
    return Promise.all(
      records.map(async (record) =>
        summaryView(
          record,
          mountsOf(record),
          this.networkView(record),
          now,
          options.size ? await this.sizes(record) : undefined,
        ),
      ),
    );
  }

  async inspect(ref: string, size = false): Promise<object> {
    const record = this.deps.registry.get(ref);
    const layout = rootfsLayout(this.deps.store.dir(record.Id));
    return inspectView(
      record,
      mountsOf(record),
      this.networkView(record),
      {
        rootfs: this.deps.rootfsPath(record.Id),
        upperDir: layout.upperDir,
        workDir: layout.workDir,
        lowerDirs: record.LayerPaths,
      },
      size ? await this.sizes(record) : undefined,
    );
  }

  async top(ref: string, psArgs = '-ef'): Promise<TopResult> {
    const record = this.deps.registry.get(ref);
    if (!record.State.Running) throw new ConflictError(`Container ${record.Id} is not running`);
    const pids = await this.deps.runtime.processes(record.Id);
    return topProcesses(psArgs, pids);
  }

  /** Endpoints and ports as the network service sees them (mode only without one). */
  private networkView(record: ContainerRecord): NetworkView {
    const networks = this.deps.networks;
    const mode = record.HostConfig.NetworkMode ?? 'bridge';
    const configured: Record<string, object> = {};
    if (!networks) {
      if (!mode.startsWith('container:')) configured[mode] = {};
      return { endpoints: configured, ports: {}, portList: [] };
    }
    for (const name of memberNetworks(record)) configured[name] = {};
    const live = record.State.Running ? networks.endpointsOf(record.Id) : {};
    const ports = record.State.Running ? networks.portsOf(record.Id) : {};
    return { endpoints: { ...configured, ...live }, ports, portList: portSummaries(ports) };
  }

  private async sizes(record: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
    const rw = await directorySize(rootfsLayout(this.deps.store.dir(record.Id)).upperDir);
    let layers = 0;
    for (const path of record.LayerPaths) {
      const size = this.layerSizes.get(path) ?? (await directorySize(path));
      this.layerSizes.set(path, size);
      layers += size;
    }
    return { rw, rootFs: rw + layers };
  }
}
