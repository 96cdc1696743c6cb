// Resolves a path inside a container's root filesystem the way the container would, following
// symlinks but never leaving the root: an absolute symlink is relative to the root, and `..`
// stops at it. Used to read /etc/passwd and create WorkingDir without touching the host.
import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';

const maxSymlinks = 255;

/** Host path for `path` inside `root`; components that do not exist yet are kept as given. */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const pending = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = posix.join(root, ...resolved, part);
    let isLink: boolean;
    try {
      isLink = (await lstat(candidate)).isSymbolicLink();
    } catch {
      // A missing component ends the walk; the rest is appended verbatim (already normalized).
      resolved.push(part, ...pending.filter((p) => p !== '.' && p !== '..'));
      break;
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > maxSymlinks) throw new Error(`too many symlinks resolving ${path}`);
    const target = await readlink(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return posix.join(root, ...resolved);
}
