// The container's mounts from -v (Binds), --mount (Mounts) and --tmpfs, normalized and validated
// with dockerd's rules and messages. Host-side checks (does the source exist) happen in the service.
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../../errors';
import type { OciMount } from '../../../drivers/runtime/oci-spec';
import {
  bindMountOptions,
  checkRecursiveReadOnly,
  type ApiMount,
  type Propagation,
  type RecursiveReadOnlySupport,
} from '../../volumes/mount-spec';
import type { HostConfig } from '../types';

export interface ContainerMount {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind), volume name (volume), empty (tmpfs). */
  Source: string;
  Destination: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** BindOptions.NonRecursive: plain `bind` instead of `rbind`. */
  NonRecursive?: boolean;
  /** BindOptions.ReadOnlyNonRecursive / ReadOnlyForceRecursive (API 1.44). */
  ReadOnlyNonRecursive?: boolean;
  ReadOnlyForceRecursive?: boolean;
  /** tmpfs mount options (size=..., mode=...), kernel syntax. */
  TmpfsOptions?: string[];
}

const propagations = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
const bindModes = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', ...propagations]);

function checkDestination(type: string, destination: string): string {
  if (!destination)
    throw new InvalidArgumentError(
      `invalid mount config for type "${type}": field Target must not be empty`,
    );
  if (!destination.startsWith('/')) {
    throw new InvalidArgumentError(
      `invalid mount config for type "${type}": invalid mount path: '${destination}' mount path must be absolute`,
    );
  }
  const clean = posix.normalize(destination).replace(/(.)\/$/, '$1');
  if (clean === '/') {
    throw new InvalidArgumentError(
      `invalid mount config for type "${type}": invalid specification: destination can't be '/'`,
    );
  }
  return clean;
}

/** `-v src:dst[:mode]`; src is an absolute host path (bind) or a volume name. */
export function parseBind(spec: string): ContainerMount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p, i) => p === '' && i < 2)) {
    throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  }
  const [source = '', target = '', mode = ''] = parts;
  const modes = mode === '' ? [] : mode.split(',');
  for (const m of modes) {
    if (!bindModes.has(m)) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  }
  if (modes.includes('ro') && modes.includes('rw'))
    throw new InvalidArgumentError(`invalid mode: ${mode}`);
  const type = source.startsWith('/') ? 'bind' : 'volume';
  if (type === 'volume' && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source)) {
    throw new InvalidArgumentError(
      `invalid volume specification: '${spec}': "${source}" includes invalid characters for a local volume name`,
    );
  }
  return {
    Type: type,
    Source: type === 'bind' ? posix.normalize(source) : source,
    Destination: checkDestination(type, target),
    Mode: mode,
    RW: !modes.includes('ro'),
    Propagation: modes.find((m) => propagations.has(m)) ?? (type === 'bind' ? 'rprivate' : ''),
  };
}

/** `--tmpfs /path[:opts]` / HostConfig.Tmpfs map entries. */
export function parseTmpfs(destination: string, options: string): ContainerMount {
  const opts = options === '' ? [] : options.split(',');
  for (const opt of opts) {
    if (
      !/^(ro|rw|noexec|exec|nosuid|suid|nodev|dev|sync|async|dirsync|remount|mand|nomand|atime|noatime|diratime|nodiratime|relatime|norelatime|strictatime|nostrictatime|size=\d+[kmgKMG%]?|mode=[0-7]{3,4}|uid=\d+|gid=\d+|nr_inodes=\d+[kmgKMG]?|tmpcopyup|notmpcopyup)$/.test(
        opt,
      )
    ) {
      throw new InvalidArgumentError(`invalid tmpfs option ${JSON.stringify(opt)}`);
    }
  }
  return {
    Type: 'tmpfs',
    Source: '',
    Destination: checkDestination('tmpfs', destination),
    Mode: options,
    RW: !opts.includes('ro'),
    Propagation: '',
    TmpfsOptions: opts.filter((o) => o !== 'rw' && o !== 'ro'),
  };
}

/** Every mount a HostConfig asks for; duplicate destinations are an error, like dockerd. */
export function containerMounts(host: HostConfig): ContainerMount[] {
  const mounts: ContainerMount[] = [];
  for (const bind of host.Binds ?? []) mounts.push(parseBind(bind));
  for (const mount of host.Mounts ?? []) {
    const type = mount.Type ?? '';
    if (type === 'bind' || type === 'volume') {
      if (type === 'bind' && !mount.Source?.startsWith('/')) {
        throw new InvalidArgumentError(
          `invalid mount config for type "bind": invalid mount path: '${mount.Source ?? ''}' mount path must be absolute`,
        );
      }
      // The full BindOptions shape lives with the mount-spec parser.
      const bindOptions = type === 'bind' ? (mount.BindOptions as ApiMount['BindOptions']) : null;
      const readOnlyNonRecursive = bindOptions?.ReadOnlyNonRecursive === true;
      const readOnlyForceRecursive = bindOptions?.ReadOnlyForceRecursive === true;
      checkRecursiveReadOnly(mount.ReadOnly === true, readOnlyNonRecursive, readOnlyForceRecursive);
      mounts.push({
        Type: type,
        Source: mount.Source ?? '',
        Destination: checkDestination(type, mount.Target ?? ''),
        Mode: '',
        RW: !mount.ReadOnly,
        Propagation: type === 'bind' ? bindOptions?.Propagation || 'rprivate' : '',
        ...(bindOptions?.NonRecursive ? { NonRecursive: true } : {}),
        ...(readOnlyNonRecursive ? { ReadOnlyNonRecursive: true } : {}),
        ...(readOnlyForceRecursive ? { ReadOnlyForceRecursive: true } : {}),
      });
    } else if (type === 'tmpfs') {
      const opts: string[] = [];
      if (mount.TmpfsOptions?.SizeBytes) opts.push(`size=${mount.TmpfsOptions.SizeBytes}`);
      if (mount.TmpfsOptions?.Mode) opts.push(`mode=${mount.TmpfsOptions.Mode.toString(8)}`);
      if (mount.ReadOnly) opts.push('ro');
      mounts.push(parseTmpfs(mount.Target ?? '', opts.join(',')));
    } else {
      throw new InvalidArgumentError(`mount type unknown: ${JSON.stringify(type)}`);
    }
  }
  for (const [destination, options] of Object.entries(host.Tmpfs ?? {})) {
    mounts.push(parseTmpfs(destination, options));
  }
  const seen = new Set<string>();
  for (const mount of mounts) {
    if (seen.has(mount.Destination)) {
      throw new InvalidArgumentError(`Duplicate mount point: ${mount.Destination}`);
    }
    seen.add(mount.Destination);
  }
  return mounts;
}

const notProbed: RecursiveReadOnlySupport = {
  supported: false,
  reason: 'rro is not supported: the OCI runtime was not probed',
};

/**
 * OCI mounts for user mounts; volumes must already be resolved to host paths (`volumePaths`).
 * Read-only ones are recursively read-only (`rro`) when `recursiveReadOnly` says the host can.
 */
export function userOciMounts(
  mounts: readonly ContainerMount[],
  volumePaths: ReadonlyMap<string, string>,
  recursiveReadOnly: RecursiveReadOnlySupport = notProbed,
): OciMount[] {
  return mounts.map((mount) => {
    if (mount.Type === 'tmpfs') {
      return {
        destination: mount.Destination,
        type: 'tmpfs',
        source: 'tmpfs',
        options: tmpfsOptions(mount),
      };
    }
    const source = mount.Type === 'volume' ? volumePaths.get(mount.Source) : mount.Source;
    if (source === undefined)
      throw new InvalidArgumentError(`volume ${mount.Source} could not be resolved`);
    return {
      destination: mount.Destination,
      type: 'bind',
      source,
      options: specBindOptions(mount, recursiveReadOnly),
    };
  });
}

/** rbind/bind, the propagation, then ro/rro (nothing when writable): the order specs had. */
function specBindOptions(mount: ContainerMount, support: RecursiveReadOnlySupport): string[] {
  const [bindMode = 'rbind', access = 'rw', propagation = 'rprivate'] = bindMountOptions(
    {
      readOnly: !mount.RW,
      propagation: (mount.Propagation || 'rprivate') as Propagation,
      nonRecursive: mount.NonRecursive === true,
      readOnlyNonRecursive: mount.ReadOnlyNonRecursive === true,
      readOnlyForceRecursive: mount.ReadOnlyForceRecursive === true,
    },
    support,
  );
  return [bindMode, propagation, ...(access === 'rw' ? [] : [access])];
}

/** Docker's tmpfs defaults (noexec,nosuid,nodev) unless the user asked for exec/suid/dev. */
function tmpfsOptions(mount: ContainerMount): string[] {
  const user = mount.TmpfsOptions ?? [];
  const defaults = ['nosuid', 'nodev', 'noexec'].filter((opt) => !user.includes(opt.slice(2)));
  return [...defaults, ...(mount.RW ? [] : ['ro']), ...user].filter(
    (opt, index, all) => all.indexOf(opt) === index,
  );
}
