// What attach, logs, resize, stats and exec need from a container, in the shapes their routers
// and services declare (they own those interfaces): targets, attach before start, resize, and
// the moment a container stops.
import { ConflictError } from '../../errors';
import {
  ConmonAttachConnection,
  resizeMessage,
  writeControlMessage,
} from '../../drivers/attach/conmon-attach';
import type { RuntimeDriver } from '../../drivers/runtime/runtime-driver';
import { listLogFiles } from '../logs/log-rotator';
import type { ContainerRegistry } from './registry';
import type { ContainerRunner } from './runner';

export interface StreamSupportDeps {
  registry: ContainerRegistry;
  runner: ContainerRunner;
  runtime: RuntimeDriver;
  bundleDir(id: string): string;
}

export class StreamSupport {
  constructor(private readonly deps: StreamSupportDeps) {}

  streamTarget(ref: string) {
    const record = this.deps.registry.get(ref);
    return {
      id: record.Id,
      name: record.Name,
      tty: record.Config.Tty === true,
      running: record.State.Running,
      openStdin: record.Config.OpenStdin === true,
      stdinOnce: record.Config.StdinOnce === true,
      // Rotated files (max-size/max-file), oldest first, then the live one.
      logPaths: listLogFiles(record.LogPath),
      cgroupPath: `/berth/${record.Id}`,
      pid: record.State.Pid,
    };
  }

  /** Settles once the container is not running (at once if it is not), or on abort. */
  whenStopped(ref: string, signal: AbortSignal): Promise<void> {
    const record = this.deps.registry.get(ref);
    if (!record.State.Running || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      void this.deps.runner.exited(record.Id).then(done);
    });
  }

  /**
   * Connects to the container's stdio through conmon. Before the container runs, waits for its
   * next start, connecting after conmon is up and before the process runs.
   */
  attach(ref: string, signal: AbortSignal): Promise<ConmonAttachConnection> {
    const record = this.deps.registry.get(ref);
    const socket = this.deps.runtime.attachSocketPath(record.Id);
    const options = {
      holdsStdin: record.Config.OpenStdin === true && record.Config.StdinOnce === true,
    };
    if (record.State.Running) return ConmonAttachConnection.share(socket, options);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        dispose();
        reject(new Error('attach aborted before the container started'));
      };
      const dispose = this.deps.runner.onNextStart(record.Id, async () => {
        signal.removeEventListener('abort', onAbort);
        try {
          resolve(await ConmonAttachConnection.share(socket, options));
        } catch (error) {
          reject(error);
        }
      });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async resize(ref: string, height: number, width: number): Promise<void> {
    const record = this.deps.registry.get(ref);
    if (!record.State.Running) throw new ConflictError(`Container ${record.Id} is not running`);
    const message = resizeMessage(height, width);
    await writeControlMessage(
      this.deps.runtime.controlPath(this.deps.bundleDir(record.Id)),
      message,
    );
  }

  execTarget(ref: string) {
    const record = this.deps.registry.get(ref);
    const runner = this.deps.runner;
    return {
      id: record.Id,
      name: record.Name,
      running: record.State.Running,
      paused: record.State.Paused,
      restarting: record.State.Restarting,
      bundleDir: this.deps.bundleDir(record.Id),
      resolveUser: (user: string) => runner.resolveUser(runner.rootfsPath(record.Id), user),
    };
  }
}
