// HostConfig.Binds ("src:dst:ro,z"), HostConfig.Mounts (typed objects) and HostConfig.Tmpfs →
// one validated list of mount specs, with moby's error messages so clients show familiar text.
import { posix } from 'node:path';
import { InvalidArgumentError, SystemError } from '../../errors';

export type Propagation = 'shared' | 'rshared' | 'slave' | 'rslave' | 'private' | 'rprivate';
const propagations: readonly string[] = [
  'shared',
  'rshared',
  'slave',
  'rslave',
  'private',
  'rprivate',
];

export interface BindSpec {
  type: 'bind';
  source: string;
  target: string;
  readOnly: boolean;
  propagation: Propagation;
  nonRecursive: boolean;
  /**
   * Read-only without making sub-mounts read-only (BindOptions.ReadOnlyNonRecursive, API 1.44;
   * the default for requests at API < 1.44). Otherwise read-only binds are recursively read-only
   * where the kernel and runtime can do it.
   */
  readOnlyNonRecursive: boolean;
  /** Fail the start rather than fall back to a non-recursive read-only mount. */
  readOnlyForceRecursive: boolean;
  /** Binds create a missing source directory; Mounts refuse unless CreateMountpoint. */
  createSource: boolean;
  /** The mode text as given, for container inspect's Mounts[].Mode. */
  mode: string;
}

export interface VolumeSpec {
  type: 'volume';
  /** '' = a new anonymous volume. */
  name: string;
  target: string;
  readOnly: boolean;
  noCopy: boolean;
  subpath?: string;
  driver?: string;
  driverOptions?: Record<string, string>;
  labels?: Record<string, string>;
  mode: string;
}

export interface TmpfsSpec {
  type: 'tmpfs';
  target: string;
  readOnly: boolean;
  /** Extra mount options, e.g. size=64m, mode=1777, noexec. */
  options: string[];
}

export type MountSpec = BindSpec | VolumeSpec | TmpfsSpec;

/** HostConfig.Mounts entry as clients send it. */
export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: {
    Propagation?: string;
    NonRecursive?: boolean;
    CreateMountpoint?: boolean;
    ReadOnlyNonRecursive?: boolean;
    ReadOnlyForceRecursive?: boolean;
  } | null;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string> | null;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
    Subpath?: string;
  } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] | null } | null;
}

const volumeNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateVolumeName(name: string): void {
  if (!volumeNamePattern.test(name)) {
    throw new InvalidArgumentError(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

function mountError(type: string, detail: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid mount config for type "${type}": ${detail}`);
}

function checkTarget(type: string, target: string | undefined): string {
  if (!target) throw mountError(type, 'field Target must not be empty');
  if (!target.startsWith('/')) {
    throw mountError(type, `invalid mount path: '${target}' mount path must be absolute`);
  }
  const clean = posix.normalize(target).replace(/(.)\/$/, '$1');
  if (clean === '/') throw mountError(type, "invalid specification: destination can't be '/'");
  return clean;
}

/** One HostConfig.Binds entry: `/host:/ctr[:opts]`, `name:/ctr[:opts]` or `/ctr` (anonymous). */
export function parseBind(spec: string): BindSpec | VolumeSpec {
  const parts = spec.split(':');
  if (spec === '' || parts.length > 3 || parts.some((part, i) => part === '' && i < parts.length)) {
    throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  }
  let source = '';
  let target: string;
  let mode = '';
  if (parts.length === 1) target = parts[0] as string;
  else if (parts.length === 2) [source, target] = parts as [string, string];
  else [source, target, mode] = parts as [string, string, string];
  const isBind = source.startsWith('/');
  const type = isBind ? 'bind' : 'volume';
  let cleanTarget: string;
  try {
    cleanTarget = checkTarget(type, target);
  } catch (error) {
    throw new InvalidArgumentError(
      `invalid volume specification: '${spec}': ${(error as Error).message}`,
    );
  }
  const options = mode === '' ? [] : mode.split(',');
  let readOnly = false;
  let propagation: Propagation | undefined;
  let noCopy = false;
  let seenRw = false;
  let seenLabel = false;
  for (const option of options) {
    if (option === 'ro' || option === 'rw') {
      if (seenRw) throw new InvalidArgumentError(`invalid mode: ${mode}`);
      seenRw = true;
      readOnly = option === 'ro';
    } else if (option === 'z' || option === 'Z') {
      if (seenLabel) throw new InvalidArgumentError(`invalid mode: ${mode}`);
      seenLabel = true;
    } else if (propagations.includes(option)) {
      if (propagation || !isBind) throw new InvalidArgumentError(`invalid mode: ${mode}`);
      propagation = option as Propagation;
    } else if (option === 'nocopy') {
      if (isBind || noCopy) throw new InvalidArgumentError(`invalid mode: ${mode}`);
      noCopy = true;
    } else {
      throw new InvalidArgumentError(`invalid mode: ${mode}`);
    }
  }
  if (isBind) {
    return {
      type: 'bind',
      source: posix.normalize(source),
      target: cleanTarget,
      readOnly,
      propagation: propagation ?? 'rprivate',
      nonRecursive: false,
      readOnlyNonRecursive: false,
      readOnlyForceRecursive: false,
      createSource: true,
      mode,
    };
  }
  if (source !== '') validateVolumeName(source);
  return { type: 'volume', name: source, target: cleanTarget, readOnly, noCopy, mode: mode || 'z' };
}

/** dockerd's conflicts between ReadOnly and the recursive read-only options (API 1.44). */
export function checkRecursiveReadOnly(
  readOnly: boolean,
  readOnlyNonRecursive: boolean,
  readOnlyForceRecursive: boolean,
): void {
  if (!readOnly && readOnlyNonRecursive) {
    throw new InvalidArgumentError(
      'mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive',
    );
  }
  if (!readOnly && readOnlyForceRecursive) {
    throw new InvalidArgumentError(
      'mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive',
    );
  }
  if (readOnlyNonRecursive && readOnlyForceRecursive) {
    throw new InvalidArgumentError(
      'mount options conflict: ReadOnlyNonRecursive && BindOptions.ReadOnlyForceRecursive',
    );
  }
}

/** Whether read-only mounts can be made recursively read-only (mount_setattr + runc's `rro`). */
export type RecursiveReadOnlySupport = { supported: true } | { supported: false; reason: string };

/**
 * The runtime options of a bind (or volume) mount: rbind/bind, then rw, ro or rro, then the
 * propagation. A read-only mount is recursively read-only (`rro`) unless ReadOnlyNonRecursive
 * asks otherwise or the host cannot do it; ReadOnlyForceRecursive turns the latter into an error.
 */
export function bindMountOptions(
  mount: Pick<BindSpec, 'readOnly' | 'propagation'> &
    Partial<Pick<BindSpec, 'nonRecursive' | 'readOnlyNonRecursive' | 'readOnlyForceRecursive'>>,
  support: RecursiveReadOnlySupport,
): string[] {
  const options = [mount.nonRecursive ? 'bind' : 'rbind'];
  if (!mount.readOnly) options.push('rw');
  else if (mount.readOnlyNonRecursive) options.push('ro');
  else if (support.supported) options.push('rro');
  // dockerd fails the start the same way (a host limit, not a bad request).
  else if (mount.readOnlyForceRecursive) throw new SystemError(support.reason);
  else options.push('ro');
  options.push(mount.propagation);
  return options;
}

/** One HostConfig.Mounts entry, validated like moby's volume/mounts validator. */
export function parseApiMount(mount: ApiMount): MountSpec {
  const type = mount.Type ?? '';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') {
    if (type === 'npipe' || type === 'cluster')
      throw mountError(type, 'mount type is not supported on this platform');
    throw mountError(type, 'mount type unknown');
  }
  const target = checkTarget(type, mount.Target);
  const notAllowed = (field: string, present: unknown) => {
    if (present !== undefined && present !== null)
      throw mountError(type, `field ${field} must not be specified`);
  };
  if (type === 'bind') {
    notAllowed('VolumeOptions', mount.VolumeOptions);
    notAllowed('TmpfsOptions', mount.TmpfsOptions);
    const source = mount.Source ?? '';
    if (source === '') throw mountError(type, 'field Source must not be empty');
    if (!source.startsWith('/')) {
      throw mountError(type, `invalid mount path: '${source}' mount path must be absolute`);
    }
    const propagation = mount.BindOptions?.Propagation || 'rprivate';
    if (!propagations.includes(propagation)) {
      throw mountError(type, `invalid propagation mode: ${propagation}`);
    }
    const readOnly = mount.ReadOnly === true;
    const readOnlyNonRecursive = mount.BindOptions?.ReadOnlyNonRecursive === true;
    const readOnlyForceRecursive = mount.BindOptions?.ReadOnlyForceRecursive === true;
    checkRecursiveReadOnly(readOnly, readOnlyNonRecursive, readOnlyForceRecursive);
    return {
      type: 'bind',
      source: posix.normalize(source),
      target,
      readOnly,
      propagation: propagation as Propagation,
      nonRecursive: mount.BindOptions?.NonRecursive === true,
      readOnlyNonRecursive,
      readOnlyForceRecursive,
      createSource: mount.BindOptions?.CreateMountpoint === true,
      mode: '',
    };
  }
  if (type === 'volume') {
    notAllowed('BindOptions', mount.BindOptions);
    notAllowed('TmpfsOptions', mount.TmpfsOptions);
    const name = mount.Source ?? '';
    if (name !== '') validateVolumeName(name);
    const subpath = mount.VolumeOptions?.Subpath;
    if (subpath !== undefined && subpath !== '') {
      const clean = posix.normalize(subpath);
      if (clean.startsWith('/') || clean === '..' || clean.startsWith('../')) {
        throw mountError(type, `subpath must be a relative path within the volume: ${subpath}`);
      }
    }
    return {
      type: 'volume',
      name,
      target,
      readOnly: mount.ReadOnly === true,
      noCopy: mount.VolumeOptions?.NoCopy === true,
      subpath: subpath || undefined,
      driver: mount.VolumeOptions?.DriverConfig?.Name || undefined,
      driverOptions: mount.VolumeOptions?.DriverConfig?.Options ?? undefined,
      labels: mount.VolumeOptions?.Labels ?? undefined,
      mode: '',
    };
  }
  notAllowed('BindOptions', mount.BindOptions);
  notAllowed('VolumeOptions', mount.VolumeOptions);
  if (mount.Source) throw mountError(type, 'field Source must not be specified');
  const options: string[] = [];
  const size = mount.TmpfsOptions?.SizeBytes;
  if (size !== undefined && size !== 0) {
    if (!Number.isInteger(size) || size < 0) throw mountError(type, `invalid tmpfs size: ${size}`);
    options.push(`size=${Math.ceil(size / 1024)}k`);
  }
  const modeBits = mount.TmpfsOptions?.Mode;
  if (modeBits !== undefined && modeBits !== 0) {
    if (!Number.isInteger(modeBits) || modeBits < 0 || modeBits > 0o7777) {
      throw mountError(type, `invalid tmpfs mode: ${modeBits}`);
    }
    options.push(`mode=${modeBits.toString(8)}`);
  }
  for (const option of mount.TmpfsOptions?.Options ?? []) {
    const [key, value] = option;
    if (!key || !/^[a-z_]+$/.test(key))
      throw mountError(type, `invalid tmpfs option: ${JSON.stringify(option)}`);
    options.push(value !== undefined && value !== '' ? `${key}=${value}` : key);
  }
  return { type: 'tmpfs', target, readOnly: mount.ReadOnly === true, options };
}

/** HostConfig.Tmpfs: `{"/run": "rw,noexec,size=64m"}`. */
export function parseTmpfs(target: string, optionText: string): TmpfsSpec {
  const clean = checkTarget('tmpfs', target);
  const options = optionText === '' ? [] : optionText.split(',').map((o) => o.trim());
  let readOnly = false;
  const rest: string[] = [];
  for (const option of options) {
    if (option === 'ro' || option === 'rw') readOnly = option === 'ro';
    else if (/^[a-z_]+(=[A-Za-z0-9_.:%+-]+)?$/.test(option)) rest.push(option);
    else
      throw new InvalidArgumentError(
        `invalid tmpfs option ${JSON.stringify(option)} for ${target}`,
      );
  }
  return { type: 'tmpfs', target: clean, readOnly, options: ['noexec', ...rest] };
}

export interface HostMountConfig {
  Binds?: string[] | null;
  Mounts?: ApiMount[] | null;
  Tmpfs?: Record<string, string> | null;
}

/**
 * All mounts of a container, plus anonymous volumes for image VOLUMEs nothing else covers.
 * Two mounts on one target → 400 "Duplicate mount point", like dockerd.
 */
export function parseContainerMounts(
  config: HostMountConfig,
  imageVolumes: Record<string, unknown> | null | undefined = {},
): MountSpec[] {
  const specs: MountSpec[] = [];
  const targets = new Set<string>();
  const add = (spec: MountSpec) => {
    if (targets.has(spec.target))
      throw new InvalidArgumentError(`Duplicate mount point: ${spec.target}`);
    targets.add(spec.target);
    specs.push(spec);
  };
  for (const bind of config.Binds ?? []) add(parseBind(bind));
  for (const mount of config.Mounts ?? []) add(parseApiMount(mount));
  for (const [target, options] of Object.entries(config.Tmpfs ?? {}))
    add(parseTmpfs(target, options));
  for (const target of Object.keys(imageVolumes ?? {})) {
    const clean = posix.normalize(target).replace(/(.)\/$/, '$1');
    if (targets.has(clean) || !clean.startsWith('/')) continue;
    targets.add(clean);
    specs.push({
      type: 'volume',
      name: '',
      target: clean,
      readOnly: false,
      noCopy: false,
      mode: '',
    });
  }
  return specs;
}
