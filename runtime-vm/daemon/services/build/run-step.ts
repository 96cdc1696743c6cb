// RUN: the command runs in a real container (the container service, so the same runtime,
// namespaces, cgroups and networking as `docker run`) made from the previous step's image with
// the step's env, user, workdir and shell. Its output streams to the client; its overlay upper
// dir becomes the step's layer. The container is removed whatever happens.
import { berthMountPoints } from '../containers/spec/build-spec';
import type { ImageConfig } from '../images/image-config';
import { readLogs } from '../logs/log-reader';
import { collectDiff, type DiffEntry } from './layer-diff';
import {
  RunStepError,
  type BuildContainers,
  type BuildImages,
  type BuildOutput,
} from './build-types';

export interface RunStepOptions {
  parentId: string;
  config: ImageConfig;
  layerPaths: string[];
  command: string[];
  /** Build args in scope as `KEY=value`, added to the environment. */
  argEnv: string[];
  networkMode: string;
  /** Print "Removing intermediate container". */
  announceRemoval: boolean;
  signal?: AbortSignal;
}

/** Runs the step; `commit` turns its changes into a layer before the container goes away. */
export async function runInContainer<T>(
  images: BuildImages,
  containers: BuildContainers,
  options: RunStepOptions,
  output: BuildOutput,
  commit: (changes: DiffEntry[]) => Promise<T>,
): Promise<T> {
  const release = images.holdTransientImage({
    id: options.parentId,
    name: options.parentId,
    config: options.config,
    layerPaths: options.layerPaths,
  });
  let id: string | undefined;
  let succeeded = false;
  try {
    options.signal?.throwIfAborted();
    const created = await containers.create({
      Image: options.parentId,
      Cmd: options.command,
      Entrypoint: [],
      Env: [...(options.config.Env ?? []), ...options.argEnv],
      User: options.config.User ?? '',
      WorkingDir: options.config.WorkingDir ?? '',
      Healthcheck: { Test: ['NONE'] },
      Labels: {},
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      HostConfig: { NetworkMode: options.networkMode || 'default' },
    });
    id = created.Id;
    output({ stream: ` ---> Running in ${id.slice(0, 12)}\n` });
    const onAbort = () => void containers.remove(id as string, { force: true }).catch(() => {});
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // The client may have gone while the container was being created.
    if (options.signal?.aborted) onAbort();
    try {
      await containers.start(id);
      const info = containers.runtimeInfo(id);
      const logs = readLogs([info.logPath], {
        stdout: true,
        stderr: true,
        follow: true,
        timestamps: false,
        signal: options.signal ?? new AbortController().signal,
        stopped: info.exited,
      });
      options.signal?.throwIfAborted();
      for await (const batch of logs) {
        const text = Buffer.concat(
          batch.flatMap((record) =>
            record.newline ? [record.text, Buffer.from('\n')] : [record.text],
          ),
        ).toString('utf8');
        if (text) output({ stream: text });
      }
      const { StatusCode } = await containers.beginWait(id, 'not-running');
      if (StatusCode !== 0) {
        throw new RunStepError(
          `The command '${options.command.join(' ')}' returned a non-zero code: ${StatusCode}`,
          StatusCode,
        );
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    const changes = await collectDiff(containers.writableLayerDir(id), {
      mountPoints: berthMountPoints,
      lowerDirs: options.layerPaths,
    });
    const result = await commit(changes);
    succeeded = true;
    return result;
  } finally {
    release();
    if (id) {
      await containers.remove(id, { force: true }).catch(() => undefined);
      if (succeeded && options.announceRemoval)
        output({ stream: `Removing intermediate container ${id.slice(0, 12)}\n` });
    }
  }
}
