// The `local` volume driver: a directory <root>/<name>/_data, optionally with something mounted on
// it (driver options type/o/device, like `mount -t TYPE -o O DEVICE`), e.g. a tmpfs or a bind.
import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, SystemError } from '../../errors';

const knownOptions = ['type', 'o', 'device', 'size'];

function exec(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { encoding: 'utf8', maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(new SystemError(`${file} ${args.join(' ')}: ${(stderr || error.message).trim()}`));
        else resolve(stdout);
      },
    );
  });
}

/** Validates local driver options and answers whether they describe a mount. */
export function validateLocalOptions(options: Record<string, string>): boolean {
  for (const key of Object.keys(options)) {
    if (!knownOptions.includes(key)) throw new InvalidArgumentError(`invalid option key: "${key}"`);
  }
  if (options['size'] !== undefined) {
    throw new InvalidArgumentError('quota size requested but no quota support');
  }
  const hasType = (options['type'] ?? '') !== '';
  const hasDevice = (options['device'] ?? '') !== '';
  if (hasType !== hasDevice) {
    throw new InvalidArgumentError(`missing required option: "${hasType ? 'device' : 'type'}"`);
  }
  if (!hasType && (options['o'] ?? '') !== '') {
    throw new InvalidArgumentError('mount options "o" need "type" and "device" as well');
  }
  return hasType;
}

/** `mount` arguments for the options; `type=none` + `o=bind` is a bind mount of `device`. */
export function mountArgs(options: Record<string, string>, target: string): string[] {
  const args = ['-t', options['type'] as string];
  let o = options['o'] ?? '';
  const device = options['device'] as string;
  // Like the local driver: addr= for nfs-like types stays as given; nothing is resolved here.
  if (options['type'] === 'none' && !o.split(',').some((x) => x === 'bind' || x === 'rbind')) {
    o = o === '' ? 'bind' : `${o},bind`;
  }
  if (o !== '') args.push('-o', o);
  args.push(device, target);
  return args;
}

async function isMountPoint(path: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => line.split(' ')[4] === path);
}

export class LocalVolumeDriver {
  constructor(readonly root: string) {}

  dataPath(name: string): string {
    return join(this.root, name, '_data');
  }

  async create(name: string, options: Record<string, string>): Promise<string> {
    validateLocalOptions(options);
    const path = this.dataPath(name);
    await mkdir(path, { recursive: true, mode: 0o755 });
    return path;
  }

  /** Mounts the configured device on first use; a no-op for plain directory volumes. */
  async mount(name: string, options: Record<string, string>): Promise<string> {
    const path = this.dataPath(name);
    if (!validateLocalOptions(options)) return path;
    if (!(await isMountPoint(path))) await exec('mount', mountArgs(options, path));
    return path;
  }

  async unmount(name: string): Promise<void> {
    const path = this.dataPath(name);
    if (await isMountPoint(path)) await exec('umount', [path]);
  }

  async remove(name: string): Promise<void> {
    await this.unmount(name);
    // Never recurse into something still mounted: that would delete the bind source's content.
    if (await isMountPoint(this.dataPath(name))) {
      throw new SystemError(`volume ${name} is still mounted at ${this.dataPath(name)}`);
    }
    await rm(join(this.root, name), { recursive: true, force: true });
  }

  async isEmpty(name: string): Promise<boolean> {
    return (await readdir(this.dataPath(name))).length === 0;
  }

  /** Bytes used by the files under _data (hard links counted once), like `du`. */
  async size(name: string): Promise<number> {
    const seen = new Set<string>();
    const walk = async (dir: string): Promise<number> => {
      let total = 0;
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        const info = await lstat(path);
        const key = `${info.dev}:${info.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        total += info.blocks * 512;
        if (entry.isDirectory()) total += await walk(path);
      }
      return total;
    };
    try {
      return await walk(this.dataPath(name));
    } catch {
      return -1;
    }
  }

  /**
   * Copies image content at `sourceDir` into the volume, keeping owners, modes, links and xattrs
   * (GNU cp -a), the way dockerd populates a fresh volume from the image.
   */
  async copyFrom(name: string, sourceDir: string): Promise<void> {
    await exec('cp', ['-a', `${sourceDir}/.`, `${this.dataPath(name)}/`]);
  }
}
