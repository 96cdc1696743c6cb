// COPY/ADD sources: which files a source list names (plain paths and globs, resolved inside the
// source root so symlinks never lead out of it, .dockerignore applied for the build context),
// and the hash of their content and metadata that keys the build cache.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InvalidArgumentError } from '../../errors';
import { resolveInRoot } from '../containers/resolve-in-root';
import type { DockerIgnore } from './dockerignore';
import { globToRegex } from './dockerignore';

export class CopySourceError extends InvalidArgumentError {}

export interface CopySource {
  /** Path relative to the source root, `/`-separated ('' for the root itself). */
  relative: string;
  hostPath: string;
  stat: Stats;
}

export interface SourceRoot {
  dir: string;
  /** Applied to the build context only (not to `--from` stages or images). */
  ignore?: DockerIgnore;
}

const hasGlob = (text: string) => /[*?[]/.test(text);

function cleanRelative(source: string): string {
  return posix.normalize(`/${source}`).replace(/^\/+/, '').replace(/\/+$/, '');
}

/** Every path under `root` (relative, parents first), minus what .dockerignore excludes. */
async function walkAll(root: SourceRoot, relative = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(join(root.dir, relative), { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = relative ? `${relative}/${entry.name}` : entry.name;
    const excluded = root.ignore?.excludes(path) ?? false;
    if (!excluded) out.push(path);
    if (entry.isDirectory() && (!excluded || root.ignore?.hasExceptions()))
      out.push(...(await walkAll(root, path)));
  }
  return out;
}

/** The sources one COPY/ADD names, in order; a missing or excluded one is an error naming it. */
export async function resolveSources(
  root: SourceRoot,
  sources: readonly string[],
  keyword: string,
): Promise<CopySource[]> {
  const found: CopySource[] = [];
  let everything: string[] | undefined;
  for (const source of sources) {
    const relative = cleanRelative(source);
    if (hasGlob(relative)) {
      everything ??= await walkAll(root);
      const regex = globToRegex(relative);
      const matches = everything.filter((path) => regex.test(path));
      if (matches.length === 0) {
        throw new CopySourceError(
          `${keyword} failed: no source files were specified: no files match ${JSON.stringify(source)} in the build context (or all are excluded by .dockerignore)`,
        );
      }
      for (const match of matches) {
        const hostPath = await resolveInRoot(root.dir, match);
        found.push({ relative: match, hostPath, stat: await lstat(hostPath) });
      }
      continue;
    }
    const excludedBy = relative === '' ? undefined : root.ignore?.matchingPattern(relative);
    if (excludedBy !== undefined) {
      throw new CopySourceError(
        `${keyword} failed: ${source} is excluded by .dockerignore (pattern ${JSON.stringify(excludedBy)})`,
      );
    }
    const hostPath = await resolveInRoot(root.dir, relative);
    const stat = await lstat(hostPath).catch(() => undefined);
    if (!stat) {
      throw new CopySourceError(
        `${keyword} failed: file not found in build context or excluded by .dockerignore: stat ${source}: file does not exist`,
      );
    }
    found.push({ relative, hostPath, stat });
  }
  return found;
}

/** Relative paths under a directory source that the copy includes (ignore rules applied). */
export async function treeOf(root: SourceRoot, source: CopySource): Promise<string[]> {
  if (!source.stat.isDirectory()) return [];
  const sub: SourceRoot = { dir: source.hostPath };
  const all = await walkAll(sub);
  if (!root.ignore) return all;
  const prefix = source.relative ? `${source.relative}/` : '';
  return all.filter((path) => !root.ignore?.excludes(`${prefix}${path}`));
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function describeEntry(hash: ReturnType<typeof createHash>, name: string, path: string) {
  const stat = await lstat(path);
  hash.update(`${name}\0${stat.mode}\0`);
  if (stat.isSymbolicLink()) hash.update(`link:${await readlink(path)}\0`);
  else if (stat.isFile()) hash.update(`file:${stat.size}:${await fileDigest(path)}\0`);
  else if (stat.isDirectory()) hash.update('dir\0');
}

/**
 * The classic builder's source description: `file:<sha>` for one file, `dir:<sha>` for one
 * folder, `multi:<sha>` for several. The hash covers names, modes, link targets and content.
 */
export async function hashSources(
  root: SourceRoot,
  sources: readonly CopySource[],
): Promise<string> {
  const parts: string[] = [];
  for (const source of sources) {
    const hash = createHash('sha256');
    await describeEntry(hash, '.', source.hostPath);
    for (const path of await treeOf(root, source))
      await describeEntry(hash, path, join(source.hostPath, path));
    parts.push(hash.digest('hex'));
  }
  if (sources.length === 1) {
    const kind = sources[0]!.stat.isDirectory() ? 'dir' : 'file';
    return `${kind}:${parts[0]}`;
  }
  return `multi:${createHash('sha256').update(parts.join('\n')).digest('hex')}`;
}
