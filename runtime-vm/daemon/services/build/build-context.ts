// The build context: the tar the client sends (plain, gzip, bzip2, xz or zstd), unpacked into a
// private directory with the layer extractor's rules, so no entry can escape it (`..`, absolute
// names, symlinks that climb out, entries written through symlinks, device nodes). Then the
// Dockerfile and .dockerignore are read from it.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../../errors';
import { decompressSniffed } from '../../drivers/snapshots/decompress';
import { DirectExtractSink } from '../../drivers/snapshots/direct-sink';
import { HostileLayerError, LayerTarRewriter } from '../../drivers/snapshots/layer-rewrite';
import { resolveInRoot } from '../containers/resolve-in-root';
import { DockerIgnore } from './dockerignore';

export class ContextEscapeError extends InvalidArgumentError {}

export interface BuildContext {
  dir: string;
  ignore: DockerIgnore;
  dispose(): Promise<void>;
}

/** Unpacks `source` into a fresh directory under `workRoot`. */
export async function extractContext(
  source: NodeJS.ReadableStream,
  workRoot: string,
  signal?: AbortSignal,
): Promise<BuildContext> {
  const dir = join(workRoot, `ctx-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const { stream } = await decompressSniffed(source);
    const sink = new DirectExtractSink(dir);
    const rewriter = new LayerTarRewriter(sink);
    rewriter.resume();
    try {
      await pipeline(stream, rewriter, signal ? { signal } : {});
      await sink.complete(signal);
    } finally {
      await sink.dispose();
    }
    const ignoreText = await readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
    return { dir, ignore: new DockerIgnore(ignoreText), dispose };
  } catch (error) {
    await dispose();
    if (error instanceof HostileLayerError) {
      throw new ContextEscapeError(
        `invalid build context: ${error.message.replace('the layer', 'the build context')}`,
      );
    }
    if (error instanceof InvalidArgumentError)
      throw new InvalidArgumentError(`invalid build context: ${error.message}`);
    throw error;
  }
}

/** Reads the Dockerfile named by the `dockerfile` parameter (a path inside the context). */
export async function readDockerfile(context: BuildContext, name: string): Promise<string> {
  const clean = posix.normalize(name || 'Dockerfile');
  if (clean.startsWith('../') || clean === '..' || posix.isAbsolute(clean)) {
    throw new ContextEscapeError(
      `The Dockerfile (${name}) must be within the build context (${'.'})`,
    );
  }
  const path = await resolveInRoot(context.dir, clean);
  const stat = await lstat(path).catch(() => undefined);
  if (!stat?.isFile()) {
    // dockerd also accepts the lower-case name when the default is missing.
    if (!name || name === 'Dockerfile') {
      const lower = await resolveInRoot(context.dir, 'dockerfile');
      if ((await lstat(lower).catch(() => undefined))?.isFile()) return readFile(lower, 'utf8');
    }
    throw new InvalidArgumentError(`Cannot locate specified Dockerfile: ${name || 'Dockerfile'}`);
  }
  return readFile(path, 'utf8');
}
