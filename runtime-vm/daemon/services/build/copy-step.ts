// COPY and ADD as build steps: parse flags and words, pick the source root (the context, an
// earlier stage or an image), describe the sources for the history and the cache key, and on a
// cache miss copy them into the step's mounted root filesystem.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InvalidArgumentError } from '../../errors';
import type { Instruction } from './dockerfile-parser';
import { expandString, expandWords, type Variables } from './shell-words';
import { copyInto, parseChmod, resolveChown } from './copy-into';
import { hashSources, resolveSources, type CopySource, type SourceRoot } from './copy-sources';
import type { DiffEntry } from './layer-diff';
import { collectDiff } from './layer-diff';
import type { ScratchRootfs } from './scratch-rootfs';

export interface CopyPlan {
  keyword: 'COPY' | 'ADD';
  from?: string;
  chown?: string;
  chmod?: number;
  sources: string[];
  /** Destination as written (after expansion), for the history. */
  destWritten: string;
  /** Absolute destination. */
  dest: string;
  destIsDir: boolean;
}

const copyFlags: Record<string, readonly string[]> = {
  COPY: ['from', 'chown', 'chmod'],
  ADD: ['chown', 'chmod'],
};

const isUrl = (text: string) => /^https?:\/\//i.test(text);

export function planCopy(
  instruction: Instruction,
  variables: Variables,
  escape: string,
  workingDir: string,
): CopyPlan {
  const keyword = instruction.keyword as 'COPY' | 'ADD';
  for (const flag of Object.keys(instruction.flags)) {
    if (!copyFlags[keyword]!.includes(flag))
      throw new InvalidArgumentError(
        `Dockerfile line ${instruction.line}: ${keyword} has an unknown flag: --${flag}`,
      );
  }
  const words = instruction.json
    ? instruction.json.map((word) => expandString(word, variables, escape))
    : expandWords(instruction.args, variables, escape);
  if (words.length < 2)
    throw new InvalidArgumentError(
      `Dockerfile line ${instruction.line}: ${keyword} requires at least two arguments, but only ${words.length} provided`,
    );
  const destWritten = words[words.length - 1]!;
  const flag = (name: string) =>
    instruction.flags[name] === undefined
      ? undefined
      : expandString(instruction.flags[name]!, variables, escape);
  const chmodText = flag('chmod');
  const dest = posix.resolve(workingDir || '/', destWritten);
  return {
    keyword,
    ...(flag('from') ? { from: flag('from') } : {}),
    ...(flag('chown') ? { chown: flag('chown') } : {}),
    ...(chmodText ? { chmod: parseChmod(chmodText) } : {}),
    sources: words.slice(0, -1),
    destWritten,
    dest,
    destIsDir: destWritten.endsWith('/') || destWritten === '.' || destWritten.endsWith('/.'),
  };
}

/** Heredoc sources (`COPY <<EOF /file`) become files in a private folder. */
export async function heredocSources(
  instruction: Instruction,
  plan: CopyPlan,
  scratchDir: string,
  variables: Variables,
): Promise<{ root: SourceRoot; sources: string[] } | undefined> {
  if (instruction.heredocs.length === 0) return undefined;
  await mkdir(scratchDir, { recursive: true, mode: 0o700 });
  const names: string[] = [];
  for (const heredoc of instruction.heredocs) {
    const content = heredoc.expand ? expandString(heredoc.content, variables) : heredoc.content;
    await writeFile(join(scratchDir, heredoc.name), content, { mode: 0o644 });
    names.push(heredoc.name);
  }
  return { root: { dir: scratchDir }, sources: names };
}

export interface ResolvedCopy {
  root: SourceRoot;
  sources: CopySource[];
  /** `file:<sha>`, `dir:<sha>` or `multi:<sha>`. */
  description: string;
}

export async function describeCopy(
  plan: CopyPlan,
  root: SourceRoot,
  sources: readonly string[],
): Promise<ResolvedCopy> {
  const urls = sources.filter(isUrl);
  if (urls.length > 0) {
    if (plan.keyword === 'COPY')
      throw new InvalidArgumentError(`COPY failed: source can't be a URL for COPY: ${urls[0]}`);
    throw new InvalidArgumentError(
      `ADD failed: cannot download ${urls[0]}: remote URLs are not fetched by this builder (it builds offline); download the file into the build context and ADD it from there`,
    );
  }
  const resolved = await resolveSources(root, sources, plan.keyword);
  return { root, sources: resolved, description: await hashSources(root, resolved) };
}

/** Copies into the mounted step root and returns the changes. */
export async function applyCopy(
  plan: CopyPlan,
  resolved: ResolvedCopy,
  target: ScratchRootfs,
  scratchDir: string,
): Promise<DiffEntry[]> {
  const owner = plan.chown ? await resolveChown(target.root, plan.chown) : undefined;
  await copyInto(target.root, resolved.root, resolved.sources, {
    dest: plan.dest,
    destIsDir: plan.destIsDir,
    ...(owner ? { owner } : {}),
    ...(plan.chmod !== undefined ? { mode: plan.chmod } : {}),
    extractArchives: plan.keyword === 'ADD',
    keyword: plan.keyword,
    scratchDir,
  });
  return collectDiff(target.upperDir, { lowerDirs: target.layerPaths });
}
