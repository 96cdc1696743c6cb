// Volumes: the local driver's records, references from containers (409 when in use), prune,
// /system/df usage, and turning a container's mount specs into runtime mounts.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../errors';
import { silentLogger, type Logger } from '../../logger';
import { writeJsonAtomic } from '../../store/atomic';
import { LocalVolumeDriver, validateLocalOptions } from '../../drivers/volumes/local-driver';
import type { EventBus } from '../events';
import { matchesVolumeFilters, parseBoolFilter, type FilterMap } from './volume-filters';
import {
  bindMountOptions,
  validateVolumeName,
  type BindSpec,
  type MountSpec,
  type RecursiveReadOnlySupport,
  type VolumeSpec,
} from './mount-spec';
import {
  anonymousLabel,
  type DockerVolume,
  type PreparedMounts,
  type VolumeCreateRequest,
  type VolumeRecord,
} from './volume-model';

export interface VolumeServiceOptions {
  dataRoot: string;
  events?: EventBus;
  logger?: Logger;
  /** Whether read-only mounts can be recursively read-only; without it they never are. */
  recursiveReadOnly?: () => Promise<RecursiveReadOnlySupport>;
}

const noRecursiveReadOnly: RecursiveReadOnlySupport = {
  supported: false,
  reason: 'rro is not supported: the OCI runtime was not probed',
};

const metadataFile = 'volume.json';

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export class VolumeService {
  private readonly driver: LocalVolumeDriver;
  private readonly volumes = new Map<string, VolumeRecord>();
  private readonly references = new Map<string, Set<string>>();
  private readonly events?: EventBus;
  private readonly logger: Logger;
  private readonly recursiveReadOnly: () => Promise<RecursiveReadOnlySupport>;

  constructor(options: VolumeServiceOptions) {
    this.driver = new LocalVolumeDriver(join(options.dataRoot, 'volumes'));
    this.events = options.events;
    this.recursiveReadOnly = options.recursiveReadOnly ?? (async () => noRecursiveReadOnly);
    this.logger = (options.logger ?? silentLogger).child({ component: 'volumes' });
  }

  async start(): Promise<void> {
    await mkdir(this.driver.root, { recursive: true, mode: 0o701 });
    for (const entry of await readdir(this.driver.root)) {
      try {
        const text = await readFile(join(this.driver.root, entry, metadataFile), 'utf8');
        const record = JSON.parse(text) as VolumeRecord;
        this.volumes.set(record.name, record);
      } catch (error) {
        this.logger.warn('skipping a volume directory without readable metadata', { entry, error });
      }
    }
  }

  private emit(action: string, record: VolumeRecord, extra: Record<string, string> = {}): void {
    this.events?.emit({
      Type: 'volume',
      Action: action,
      Actor: { ID: record.name, Attributes: { driver: record.driver, ...extra } },
    });
  }

  private toDocker(record: VolumeRecord): DockerVolume {
    return {
      CreatedAt: record.createdAt,
      Driver: record.driver,
      Labels: { ...record.labels },
      Mountpoint: this.driver.dataPath(record.name),
      Name: record.name,
      Options: { ...record.options },
      Scope: 'local',
    };
  }

  private get(name: string, verb = 'get'): VolumeRecord {
    const record = this.volumes.get(name);
    if (!record) throw new NotFoundError(`${verb} ${name}: no such volume`);
    return record;
  }

  refCount(name: string): number {
    return this.references.get(name)?.size ?? 0;
  }

  async create(request: VolumeCreateRequest): Promise<DockerVolume> {
    const driver = request.Driver && request.Driver !== '' ? request.Driver : 'local';
    if (driver !== 'local')
      throw new NotFoundError(
        `error looking up volume plugin ${driver}: plugin "${driver}" not found`,
      );
    const anonymous = !request.Name;
    const name = request.Name || randomBytes(32).toString('hex');
    validateVolumeName(name);
    const existing = this.volumes.get(name);
    if (existing) return this.toDocker(existing);
    const options = { ...(request.DriverOpts ?? {}) };
    validateLocalOptions(options);
    const labels = { ...(request.Labels ?? {}) };
    if (anonymous) labels[anonymousLabel] = '';
    const record: VolumeRecord = {
      name,
      driver: 'local',
      createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      labels,
      options,
    };
    await this.driver.create(name, options);
    await writeJsonAtomic(join(this.driver.root, name, metadataFile), record);
    this.volumes.set(name, record);
    this.emit('create', record);
    return this.toDocker(record);
  }

  inspect(name: string): DockerVolume {
    return this.toDocker(this.get(name));
  }

  list(filters: FilterMap = new Map()): { Volumes: DockerVolume[]; Warnings: string[] } {
    const volumes = [...this.volumes.values()]
      .filter((record) => matchesVolumeFilters(record, filters, this.refCount(record.name)))
      .map((record) => this.toDocker(record));
    return { Volumes: volumes, Warnings: [] };
  }

  async remove(name: string, force = false): Promise<void> {
    const record = this.volumes.get(name);
    if (!record) {
      if (force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const users = [...(this.references.get(name) ?? [])];
    if (users.length > 0)
      throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    await this.driver.remove(name);
    this.volumes.delete(name);
    this.emit('destroy', record);
  }

  /**
   * Removes unused volumes: anonymous ones only unless `all` (API ≥ 1.42 default), everything
   * unused for older clients, which had no notion of anonymous volumes in prune.
   */
  async prune(
    filters: FilterMap,
    apiVersion: string,
  ): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const all =
      parseBoolFilter('all', filters.get('all') ?? []) === true ||
      compareVersions(apiVersion, '1.42') < 0;
    const labelFilters: FilterMap = new Map();
    for (const key of ['label', 'label!']) {
      const values = filters.get(key);
      if (values) labelFilters.set(key, values);
    }
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const record of [...this.volumes.values()]) {
      if (this.refCount(record.name) > 0) continue;
      if (!all && !Object.prototype.hasOwnProperty.call(record.labels, anonymousLabel)) continue;
      if (!matchesVolumeFilters(record, labelFilters, 0)) continue;
      const size = await this.driver.size(record.name);
      await this.remove(record.name);
      deleted.push(record.name);
      if (size > 0) reclaimed += size;
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  /** /system/df: every volume with UsageData. */
  async diskUsage(): Promise<DockerVolume[]> {
    const result: DockerVolume[] = [];
    for (const record of this.volumes.values()) {
      result.push({
        ...this.toDocker(record),
        UsageData: {
          Size: await this.driver.size(record.name),
          RefCount: this.refCount(record.name),
        },
      });
    }
    return result;
  }

  // ---- what the containers service calls ---------------------------------------------------

  /** Marks volumes as used by a container (at create, and when re-loading containers at start). */
  reference(containerId: string, names: readonly string[]): void {
    for (const name of names) {
      let users = this.references.get(name);
      if (!users) this.references.set(name, (users = new Set()));
      users.add(containerId);
    }
  }

  /** Drops a container's references; returns the volumes it used. */
  dereference(containerId: string): string[] {
    const used: string[] = [];
    for (const [name, users] of this.references) {
      if (users.delete(containerId)) used.push(name);
      if (users.size === 0) this.references.delete(name);
    }
    return used;
  }

  /** `docker rm -v`: drops references and removes the anonymous volumes nobody else uses. */
  async removeContainerVolumes(containerId: string, removeAnonymous: boolean): Promise<void> {
    for (const name of this.dereference(containerId)) {
      const record = this.volumes.get(name);
      if (
        !removeAnonymous ||
        !record ||
        !Object.prototype.hasOwnProperty.call(record.labels, anonymousLabel)
      )
        continue;
      if (this.refCount(name) === 0) await this.remove(name);
    }
  }

  /** Fills a fresh volume from the image's content at `containerPath` (no-op if not empty). */
  async copyUp(name: string, imageRootPath: string, containerPath: string): Promise<void> {
    const record = this.get(name);
    const source = join(imageRootPath, posix.normalize(containerPath));
    if (!source.startsWith(imageRootPath)) return;
    await this.driver.mount(record.name, record.options);
    let info;
    try {
      info = await stat(source);
    } catch {
      return;
    }
    if (!info.isDirectory() || !(await this.driver.isEmpty(name))) return;
    await this.driver.copyFrom(name, source);
  }

  /**
   * Creates/mounts what the specs need and returns runtime mounts plus inspect's Mounts[].
   * With `rootfsPath` (the container's assembled root), new volumes are populated from the image.
   */
  async prepareMounts(
    containerId: string,
    specs: readonly MountSpec[],
    rootfsPath?: string,
  ): Promise<PreparedMounts> {
    const prepared: PreparedMounts = { mounts: [], mountPoints: [], volumes: [], resolved: [] };
    const rro = specs.some((spec) => spec.type !== 'tmpfs' && spec.readOnly)
      ? await this.recursiveReadOnly()
      : noRecursiveReadOnly;
    for (const spec of specs) {
      if (spec.type === 'bind') await this.prepareBind(spec, prepared, rro);
      else if (spec.type === 'volume')
        await this.prepareVolume(containerId, spec, prepared, rro, rootfsPath);
      else {
        prepared.mounts.push({
          destination: spec.target,
          type: 'tmpfs',
          source: 'tmpfs',
          options: ['nosuid', 'nodev', ...spec.options, spec.readOnly ? 'ro' : 'rw'],
        });
        prepared.resolved.push(spec);
        prepared.mountPoints.push({
          Type: 'tmpfs',
          Source: '',
          Destination: spec.target,
          Mode: '',
          RW: !spec.readOnly,
          Propagation: '',
        });
      }
    }
    this.reference(containerId, prepared.volumes);
    return prepared;
  }

  private async prepareBind(
    spec: BindSpec,
    prepared: PreparedMounts,
    rro: RecursiveReadOnlySupport,
  ): Promise<void> {
    if (!(await pathExists(spec.source))) {
      if (!spec.createSource) {
        throw new InvalidArgumentError(
          `invalid mount config for type "bind": bind source path does not exist: ${spec.source}`,
        );
      }
      await mkdir(spec.source, { recursive: true, mode: 0o755 });
    }
    prepared.mounts.push({
      destination: spec.target,
      type: 'bind',
      source: spec.source,
      options: bindMountOptions(spec, rro),
    });
    prepared.resolved.push(spec);
    prepared.mountPoints.push({
      Type: 'bind',
      Source: spec.source,
      Destination: spec.target,
      Mode: spec.mode,
      RW: !spec.readOnly,
      Propagation: spec.propagation,
    });
  }

  private async prepareVolume(
    containerId: string,
    spec: VolumeSpec,
    prepared: PreparedMounts,
    rro: RecursiveReadOnlySupport,
    rootfsPath?: string,
  ): Promise<void> {
    const existed = spec.name !== '' && this.volumes.has(spec.name);
    const volume = existed
      ? this.inspect(spec.name)
      : await this.create({
          Name: spec.name || undefined,
          Driver: spec.driver,
          DriverOpts: spec.driverOptions,
          Labels: spec.labels,
        });
    const record = this.get(volume.Name);
    let source = await this.driver.mount(record.name, record.options);
    if (!spec.noCopy && !spec.subpath && rootfsPath)
      await this.copyUp(record.name, rootfsPath, spec.target);
    if (spec.subpath) {
      source = join(source, posix.normalize(spec.subpath));
      if (!(await pathExists(source))) {
        throw new InvalidArgumentError(
          `cannot access path ${source}: subpath ${spec.subpath} does not exist in volume ${record.name}`,
        );
      }
    }
    prepared.volumes.push(record.name);
    prepared.resolved.push({ ...spec, name: record.name });
    prepared.mounts.push({
      destination: spec.target,
      type: 'bind',
      source,
      // Read-only volumes are recursively read-only too, as with dockerd.
      options: bindMountOptions({ readOnly: spec.readOnly, propagation: 'rprivate' }, rro),
    });
    prepared.mountPoints.push({
      Type: 'volume',
      Name: record.name,
      Source: source,
      Destination: spec.target,
      Driver: record.driver,
      Mode: spec.mode,
      RW: !spec.readOnly,
      Propagation: '',
    });
    this.emit('mount', record, {
      container: containerId,
      destination: spec.target,
      'read/write': String(!spec.readOnly),
    });
  }
}

/** -1, 0, 1 for API versions like '1.41' vs '1.42'. */
export function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor !== bMajor ? Math.sign(aMajor - bMajor) : Math.sign(aMinor - bMinor);
}
