// Runs containers: mounts the rootfs, writes the OCI bundle, starts conmon + runc, and turns
// exits into state changes, events, wait results, restarts (with backoff) and auto-removal.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConflictError,
  InvalidArgumentError,
  NotModifiedError,
  SystemError,
  errorMessage,
  isBerthError,
} from '../../errors';
import type { Logger } from '../../logger';
import type { OverlayRootfs } from '../../drivers/rootfs/overlay-rootfs';
import { RuntimeCreateError } from '../../drivers/runtime/conmon-runc-driver';
import type { RuntimeDriver } from '../../drivers/runtime/runtime-driver';
import type { ContainerRegistry } from './registry';
import { resolveInRoot } from './resolve-in-root';
import { nextRestartDelay, shouldRestart } from './restart-policy';
import { buildSpec } from './spec/build-spec';
import { capabilitiesFromMask } from './spec/capabilities';
import { hostDevices } from './spec/host-devices';
import { swapLimitSupported } from './spec/resources';
import { resolveUser } from './spec/user';
import type { ContainerNetworking } from './networking';
import { hostnameOf, RunEnvironment } from './run-environment';
import type { ContainerVolumes } from './volumes';
import { HealthMonitor } from './health';
import { StartHooks } from './start-hooks';
import {
  deferred,
  phaseTimer,
  raceTimeout,
  signalNumber,
  startFailureExitCode,
} from './runner-support';
import { parseLogConfig } from '../logs/log-options';
import { startLogRotation } from '../logs/log-rotator';
import { zeroTime } from './status-text';
import type { ContainerRecord } from './types';

export interface RunnerPaths {
  /** <dataRoot>/containers/<id>: record, log, host files, writable layer. */
  dataDir(id: string): string;
  /** <execRoot>/containers/<id>: the OCI bundle and the rootfs mount point. */
  bundleDir(id: string): string;
}

export interface RunnerOptions {
  registry: ContainerRegistry;
  runtime: RuntimeDriver;
  rootfs: OverlayRootfs;
  paths: RunnerPaths;
  logger: Logger;
  initBinaryPath: string;
  noNewPrivileges: boolean;
  /** The network service; without it every network mode but host is a loopback-only namespace. */
  networks?: ContainerNetworking;
  /** The volume service; without it only bind mounts and tmpfs are available. */
  volumes?: ContainerVolumes;
  /** Called when an AutoRemove container has exited and must go. */
  autoRemove: (record: ContainerRecord) => Promise<void>;
}

/** What the runner tracks about a container's current run. */
interface Run {
  /** Settles once the run's exit has been fully processed. */
  exited: Promise<void>;
  markExited: () => void;
  /** Settles once start bookkeeping is done, so exit processing never overtakes it. */
  started: Promise<void>;
  markStarted: () => void;
  startedAtMs: number;
}

const nowIso = () => new Date().toISOString();

export class ContainerRunner {
  private readonly runs = new Map<string, Run>();
  private readonly processing = new Map<string, Promise<void>>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly restartDelays = new Map<string, number>();
  /** Runtime deletes of exited containers, finished off the exit's critical path. */
  private readonly pendingReleases = new Map<string, Promise<void>>();
  private stopExitWatch: (() => void) | undefined;
  private closed = false;
  private readonly health: HealthMonitor;
  private readonly environment: RunEnvironment;
  readonly swapLimitSupported = swapLimitSupported();
  /** Our own bounding set, read once: a container can never get more than the daemon holds. */
  private readonly availableCapabilities = capabilitiesFromMask(
    /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0',
  );

  constructor(private readonly options: RunnerOptions) {
    this.health = new HealthMonitor(options.registry, options.runtime, options.logger);
    this.environment = new RunEnvironment(options);
  }

  private get registry(): ContainerRegistry {
    return this.options.registry;
  }

  watch(): void {
    this.stopExitWatch = this.options.runtime.watchExits((id) => {
      const record = this.registry.byId(id);
      if (record && record.State.Running) void this.processExit(record);
    });
  }

  close(): void {
    this.closed = true;
    this.stopExitWatch?.();
    this.health.close();
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
  }

  isRunning(id: string): boolean {
    return this.runs.has(id);
  }

  /** Settles when the current run has exited and been processed (immediately if none). */
  exited(id: string): Promise<void> {
    return this.runs.get(id)?.exited ?? Promise.resolve();
  }

  rootfsPath(id: string): string {
    return join(this.options.paths.bundleDir(id), 'rootfs');
  }

  async start(record: ContainerRecord, layerPaths: readonly string[]): Promise<void> {
    const { runtime, rootfs, paths } = this.options;
    const id = record.Id;
    this.cancelRestart(id);
    const bundleDir = paths.bundleDir(id);
    const rootfsPath = this.rootfsPath(id);
    await mkdir(bundleDir, { recursive: true, mode: 0o700 });
    // The previous run's runtime state, network and mount must be gone before the next run.
    await this.released(id);
    let created = false;
    const previousStart = record.State.StartedAt;
    const timer = phaseTimer();
    try {
      const hostname = hostnameOf(record);
      // Independent, and each waits on its own processes (ip, mount): side by side. Both settle
      // before a failure is handled, so the cleanup below never races a mount still under way.
      const [attached, mounted] = await Promise.allSettled([
        this.environment.attachNetwork(record, hostname).finally(() => timer.note('network')),
        rootfs.mount(layerPaths, paths.dataDir(id), rootfsPath).finally(() => timer.note('rootfs')),
      ]);
      if (attached.status === 'rejected') throw attached.reason;
      if (mounted.status === 'rejected') throw mounted.reason;
      const network = attached.value;
      timer.mark('network+rootfs');
      const preparedMounts = await this.environment.prepareVolumes(record, rootfsPath);
      const user = await this.resolveUser(rootfsPath, record.Config.User ?? '');
      if (record.Config.WorkingDir) {
        await mkdir(await resolveInRoot(rootfsPath, record.Config.WorkingDir), { recursive: true });
      }
      timer.mark('volumes+user');
      const spec = buildSpec({
        id,
        config: record.Config,
        hostConfig: record.HostConfig,
        argv: [record.Path, ...record.Args],
        user,
        rootfsPath,
        hostname,
        hostsPath: record.HostsPath,
        resolvConfPath: record.ResolvConfPath,
        hostnamePath: record.HostnamePath,
        network,
        initBinaryPath: this.options.initBinaryPath,
        noNewPrivilegesByDefault: this.options.noNewPrivileges,
        availableCapabilities: this.availableCapabilities,
        swapLimitSupported: this.swapLimitSupported,
        ...(preparedMounts ? { preparedMounts } : {}),
        ...(record.HostConfig.Privileged ? { hostDevices: await hostDevices() } : {}),
      });
      await writeFile(join(bundleDir, 'config.json'), JSON.stringify(spec));
      timer.mark('spec');
      const logRotation = parseLogConfig(
        record.HostConfig.LogConfig?.Type,
        record.HostConfig.LogConfig?.Config,
      );
      const { pid } = await runtime.create({
        id,
        bundleDir,
        logPath: record.LogPath,
        tty: record.Config.Tty === true,
        openStdin: record.Config.OpenStdin === true,
        leaveStdinOpen: record.Config.StdinOnce !== true,
        ...(logRotation.maxSize ? { logSizeMax: logRotation.maxSize } : {}),
      });
      created = true;
      // conmon caps the file; berthd keeps the rotated generations (max-file) while it runs.
      const stopLogRotation = await startLogRotation(record.LogPath, logRotation, (error) =>
        this.options.logger.warn('log rotation failed', { id, error }),
      );
      timer.mark('runtime-create');
      const exited = deferred();
      const started = deferred();
      const run: Run = {
        exited: exited.promise,
        markExited: exited.resolve,
        started: started.promise,
        markStarted: started.resolve,
        startedAtMs: Date.now(),
      };
      this.runs.set(id, run);
      void exited.promise.then(stopLogRotation);
      const { ExitCode, Error } = record.State;
      record.StartRollback = { StartedAt: previousStart, ExitCode, Error };
      // Running before `runc start`: a process that exits at once must find itself running.
      Object.assign(record.State, {
        Status: 'running',
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: pid,
        ExitCode: 0,
        Error: '',
        StartedAt: nowIso(),
      });
      try {
        // Write-ahead: the record says running before the process can run, so a crash at any
        // point leaves either a runc container still `created` (recovery rolls the start back)
        // or one that ran (recovery adopts it or records its exit); never a running container
        // the next daemon does not know about.
        await Promise.all([this.registry.save(record), this.runStartHooks(id)]);
        timer.mark('save+hooks');
        await runtime.start(id);
        timer.mark('runtime-start');
        await this.options.networks?.publishPorts(
          id,
          record.HostConfig.PortBindings,
          record.Config.ExposedPorts,
          record.HostConfig['PublishAllPorts'] === true,
        );
      } catch (error) {
        this.runs.delete(id);
        run.markStarted();
        run.markExited();
        throw error;
      }
      this.health.start(id, true);
      this.registry.emit(record, 'start');
      run.markStarted();
      timer.mark('ports');
      this.options.logger.debug('container started', { id, phasesMs: timer.phases });
    } catch (error) {
      const message =
        error instanceof RuntimeCreateError
          ? `OCI runtime create failed: ${error.message}`
          : errorMessage(error);
      if (created) await runtime.delete(id, { force: true }).catch(() => undefined);
      await this.environment.teardownNetwork(id);
      await rootfs.unmount(rootfsPath).catch(() => undefined);
      // A start that never ran the process leaves the container as it was: created or exited.
      delete record.StartRollback;
      Object.assign(record.State, {
        StartedAt: previousStart,
        Status: previousStart === zeroTime ? 'created' : 'exited',
        Running: false,
        Paused: false,
        Restarting: false,
        Pid: 0,
        ExitCode: startFailureExitCode(message),
        Error: message,
      });
      await this.registry.save(record);
      if (isBerthError(error)) throw error;
      if (error instanceof RuntimeCreateError && startFailureExitCode(message) !== 128) {
        throw new InvalidArgumentError(message, { cause: error });
      }
      throw new SystemError(message, { cause: error });
    }
  }

  private readonly startHooks = new StartHooks();

  /**
   * Registers `hook` for the next start of a container: it runs once the supervisor is up (its
   * attach socket exists) and before the process runs, so an attach made before start misses no
   * output. Returns a disposer.
   */
  onNextStart(id: string, hook: () => Promise<void>): () => void {
    return this.startHooks.add(id, hook);
  }

  private runStartHooks(id: string): Promise<void> {
    return this.startHooks.run(id, (error) => {
      this.options.logger.warn('a start hook failed', { id, error });
    });
  }

  /** Sends a signal; a paused container is thawed so the signal is delivered. */
  async kill(record: ContainerRecord, signal: string): Promise<void> {
    if (!record.State.Running) {
      throw new ConflictError(
        `Cannot kill container: ${record.Id}: Container ${record.Id} is not running`,
      );
    }
    await this.options.runtime.kill(record.Id, signal);
    this.registry.emit(record, 'kill', { signal: signalNumber(signal) });
    if (record.State.Paused) await this.resume(record).catch(() => undefined);
  }

  /** Stop signal, then SIGKILL after `timeoutSeconds` (negative: wait forever). */
  async stop(record: ContainerRecord, signal: string, timeoutSeconds: number): Promise<void> {
    if (this.restartTimers.has(record.Id)) {
      this.cancelRestart(record.Id);
      Object.assign(record.State, { Restarting: false, Status: 'exited' });
      await this.registry.save(record);
      return;
    }
    if (!record.State.Running) throw new NotModifiedError('container already stopped');
    const exited = this.exited(record.Id);
    await this.kill(record, signal).catch((error: unknown) => {
      // Already exiting: the exit is on its way.
      if (!(error instanceof ConflictError)) throw error;
    });
    const stoppedInTime =
      timeoutSeconds < 0 ? (await exited, true) : await raceTimeout(exited, timeoutSeconds * 1000);
    if (!stoppedInTime) {
      await this.kill(record, 'SIGKILL').catch((error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
      });
      await exited;
    }
  }

  async pause(record: ContainerRecord): Promise<void> {
    if (!record.State.Running) throw new ConflictError(`Container ${record.Id} is not running`);
    if (record.State.Paused) throw new ConflictError(`Container ${record.Id} is already paused`);
    await this.options.runtime.pause(record.Id);
    Object.assign(record.State, { Paused: true, Status: 'paused' });
    await this.registry.save(record);
    this.registry.emit(record, 'pause');
  }

  async resume(record: ContainerRecord): Promise<void> {
    if (!record.State.Paused) throw new ConflictError(`Container ${record.Id} is not paused`);
    await this.options.runtime.resume(record.Id);
    Object.assign(record.State, { Paused: false, Status: 'running' });
    await this.registry.save(record);
    this.registry.emit(record, 'unpause');
  }

  /** Processes the exit of a running container once, however many notifications arrive. */
  processExit(record: ContainerRecord): Promise<void> {
    const pending = this.processing.get(record.Id);
    if (pending) return pending;
    const task = this.handleExit(record).finally(() => this.processing.delete(record.Id));
    this.processing.set(record.Id, task);
    return task;
  }

  private async handleExit(record: ContainerRecord): Promise<void> {
    const { runtime, paths } = this.options;
    const id = record.Id;
    let exit = await runtime.readExit(id, paths.bundleDir(id));
    // A notification can precede the file's content; look again briefly before giving up (a
    // later notification or the next daemon start would still catch it).
    for (let attempt = 0; !exit && attempt < 5 && record.State.Running; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      exit = await runtime.readExit(id, paths.bundleDir(id));
    }
    if (!exit) return;
    const noticedAt = Date.now();
    const run = this.runs.get(id);
    await run?.started;
    const timer = phaseTimer();
    // As dockerd: the exit is reported first, the cleanup follows (and the next start waits).
    // Its processes are spawned after the answer: forking them would hold up the event loop.
    // Published ports are freed before, so a `docker run --rm -p` can be run again at once.
    await this.environment.releasePorts(id);
    const beginRelease = this.releaseInBackground(id);
    try {
      await this.recordExit(
        record,
        exit.exitCode,
        exit.oomKilled,
        exit.exitedAt.toISOString(),
        run?.startedAtMs,
      );
      run?.markExited();
    } finally {
      beginRelease();
    }
    timer.mark('record+auto-remove');
    this.options.logger.debug('container exit processed', {
      id,
      noticedAfterMs: noticedAt - exit.exitedAt.getTime(),
      phasesMs: timer.phases,
    });
  }

  /**
   * Releases what an exited run held: its runtime state, its network namespace and published
   * ports, and its rootfs mount. Nothing waits for this but the container's next start, its
   * removal and a stopped container's file access (through `released`); a daemon that dies
   * first finishes it at its next start (recovery deletes unowned runtime containers, unmounts
   * stopped containers' roots, and the network service drops namespaces nobody owns).
   */
  private releaseInBackground(id: string): () => void {
    const { runtime, logger } = this.options;
    const gate = deferred();
    const task = gate.promise
      .then(afterNextPoll)
      .then(() =>
        Promise.all([
          runtime.delete(id, { force: true }).catch((error: unknown) => {
            logger.warn('runtime delete failed', { id, error });
          }),
          this.releaseStopped(id),
        ]),
      )
      .then(() => undefined)
      .finally(() => {
        if (this.pendingReleases.get(id) === task) this.pendingReleases.delete(id);
      });
    this.pendingReleases.set(id, task);
    return gate.resolve;
  }

  /** A stopped container's network and rootfs mount (after an exit, and in recovery). */
  async releaseStopped(id: string): Promise<void> {
    await Promise.all([
      this.environment.teardownNetwork(id),
      this.options.rootfs.unmount(this.rootfsPath(id)).catch((error: unknown) => {
        this.options.logger.warn('rootfs unmount failed', { id, error });
      }),
    ]);
  }

  /** Settles once the last exited run of `id` has been released (at once if nothing is pending). */
  released(id: string): Promise<void> {
    return this.pendingReleases.get(id) ?? Promise.resolve();
  }

  /** Marks the container exited and applies its restart policy or auto-removal. */
  async recordExit(
    record: ContainerRecord,
    exitCode: number,
    oomKilled: boolean,
    finishedAt: string,
    startedAtMs = Date.parse(record.State.StartedAt),
    error = '',
  ): Promise<void> {
    const id = record.Id;
    this.runs.delete(id);
    this.health.stop(id);
    delete record.StartRollback;
    Object.assign(record.State, {
      Status: 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: oomKilled,
      Pid: 0,
      ExitCode: exitCode,
      Error: error,
      FinishedAt: finishedAt,
    });
    const restart =
      !this.closed &&
      shouldRestart(record.HostConfig.RestartPolicy, {
        exitCode,
        manuallyStopped: record.ManuallyStopped,
        restartCount: record.RestartCount,
      });
    if (restart) Object.assign(record.State, { Restarting: true, Status: 'restarting' });
    const autoRemove = !restart && record.HostConfig.AutoRemove === true;
    // An auto-removed container's exit need not reach the disk: its record is about to go.
    if (!autoRemove) await this.registry.save(record);
    if (oomKilled) this.registry.emit(record, 'oom');
    this.registry.emit(record, 'die', {
      exitCode: String(exitCode),
      execDuration: String(Math.max(0, Math.round((Date.now() - startedAtMs) / 1000))),
    });
    this.registry.notifyWaiters(id, 'exit', { StatusCode: exitCode, Error: null });
    if (restart) {
      this.scheduleRestart(record, Date.now() - startedAtMs);
    } else if (autoRemove) {
      await this.options.autoRemove(record).catch((removeError: unknown) => {
        this.options.logger.error('auto-remove failed', { id, error: removeError });
      });
    }
  }

  /** Restarts are re-run through `restartHook`, which the service sets (it owns image layers). */
  restartHook: ((record: ContainerRecord) => Promise<void>) | undefined;

  private scheduleRestart(record: ContainerRecord, uptimeMs: number): void {
    const delay = nextRestartDelay(this.restartDelays.get(record.Id) ?? 0, uptimeMs);
    this.restartDelays.set(record.Id, delay);
    const timer = setTimeout(() => {
      this.restartTimers.delete(record.Id);
      if (!this.registry.has(record.Id) || !record.State.Restarting || this.closed) return;
      record.RestartCount += 1;
      void this.restartHook?.(record).catch(async (error: unknown) => {
        this.options.logger.warn('restart failed', { id: record.Id, error });
        await this.recordExit(
          record,
          record.State.ExitCode,
          false,
          nowIso(),
          Date.now(),
          errorMessage(error),
        );
      });
    }, delay);
    this.restartTimers.set(record.Id, timer);
  }

  cancelRestart(id: string): void {
    const timer = this.restartTimers.get(id);
    if (timer) clearTimeout(timer);
    this.restartTimers.delete(id);
  }

  /** A fresh start by the user resets the backoff. */
  resetBackoff(id: string): void {
    this.restartDelays.delete(id);
  }

  /**
   * After a daemon restart: take over a container whose record says it runs. Tells whether it
   * still runs, has exited meanwhile (the exit is recorded) or never ran (the start was undone).
   */
  async adopt(record: ContainerRecord): Promise<'running' | 'exited' | 'rolled-back'> {
    const { runtime, paths, rootfs } = this.options;
    const id = record.Id;
    const bundleDir = paths.bundleDir(id);
    const exit = await runtime.readExit(id, bundleDir);
    const state = exit ? undefined : await runtime.state(id);
    if (state && (state.status === 'running' || state.status === 'paused')) {
      const exited = deferred();
      const started = deferred();
      started.resolve();
      this.runs.set(id, {
        exited: exited.promise,
        markExited: exited.resolve,
        started: started.promise,
        markStarted: started.resolve,
        startedAtMs: Date.parse(record.State.StartedAt),
      });
      Object.assign(record.State, {
        Pid: state.pid,
        Paused: state.status === 'paused',
        Status: state.status,
      });
      await this.registry.save(record);
      this.health.start(id, false);
      this.keepLogRotation(record, exited.promise);
      // The exit may have happened between the check and the watch; look once more.
      if (await runtime.readExit(id, bundleDir)) await this.processExit(record);
      return this.runs.has(id) ? 'running' : 'exited';
    }
    if (exit) {
      await this.processExit(record);
      return 'exited';
    }
    if (state?.status === 'created') {
      // The daemon died between the write-ahead save and `runc start`: the process never ran.
      await this.rollBackStart(record);
      return 'rolled-back';
    }
    // No exit file and no live process: the host rebooted or the supervisor died with it.
    await runtime.delete(id, { force: true }).catch(() => undefined);
    await this.environment.teardownNetwork(id);
    await rootfs.unmount(this.rootfsPath(id)).catch(() => undefined);
    await this.recordExit(
      record,
      255,
      false,
      nowIso(),
      undefined,
      'container process disappeared while berthd was down',
    );
    return 'exited';
  }

  /** An adopted container's rotated logs are kept again, with any rotation made meanwhile. */
  private keepLogRotation(record: ContainerRecord, exited: Promise<void>): void {
    const onError = (error: unknown) =>
      this.options.logger.warn('log rotation failed', { id: record.Id, error });
    try {
      const { Type, Config } = record.HostConfig.LogConfig ?? {};
      void startLogRotation(record.LogPath, parseLogConfig(Type, Config), onError).then((stop) =>
        exited.then(stop),
      );
    } catch (error) {
      onError(error);
    }
  }

  /** Undoes a start whose process never ran: the container is again created or exited. */
  private async rollBackStart(record: ContainerRecord): Promise<void> {
    const { runtime, rootfs, paths } = this.options;
    const id = record.Id;
    this.options.logger.warn('rolling back a start interrupted by a crash', { id });
    const previous = record.StartRollback ?? { StartedAt: zeroTime, ExitCode: 0, Error: '' };
    delete record.StartRollback;
    // Not running from here on, so the exit the forced delete causes is not taken for a run's.
    Object.assign(record.State, {
      ...previous,
      Status: previous.StartedAt === zeroTime ? 'created' : 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      Pid: 0,
    });
    await runtime.delete(id, { force: true }).catch(() => undefined);
    await runtime.clearExit(id, paths.bundleDir(id));
    await this.environment.teardownNetwork(id);
    await rootfs.unmount(this.rootfsPath(id)).catch(() => undefined);
    await this.registry.save(record);
  }

  /** `user[:group]` resolved against the container's own /etc/passwd and /etc/group. */
  async resolveUser(rootfsPath: string, user: string) {
    const read = async (path: string) => {
      try {
        return await readFile(await resolveInRoot(rootfsPath, path), 'utf8');
      } catch {
        return '';
      }
    };
    const [passwd, group] = await Promise.all([read('/etc/passwd'), read('/etc/group')]);
    return resolveUser(user, passwd, group);
  }
}

/**
 * Settles after the event loop's next poll phase. The exit's answers (a wait response, the end of
 * an attach stream) are written at once, but a socket's shutdown (its FIN) only goes out in the
 * next poll phase, and forking a process blocks the loop for 10–20 ms: releasing a run before
 * that held `docker run --rm` up by the release's three processes.
 */
function afterNextPoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
