// Docker's exec instances: `POST /containers/{id}/exec` creates one, `POST /exec/{id}/start` runs
// it (attached or detached), `GET /exec/{id}/json` inspects it. Terminal execs run under conmon,
// the others as the runtime's own foreground exec (drivers/exec); either way the exit code is
// recorded before the output stream closes, so `docker exec c sh -c 'exit 3'; echo $?` prints 3.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError, SystemError } from '../../errors';
import { assertTerminalSize } from '../../drivers/attach/conmon-attach';
import type { ProcessStdio } from '../../drivers/attach/process-stdio';
import {
  ExecStartError,
  type ExecLauncher,
  type ExecProcessSpec,
} from '../../drivers/exec/exec-launch';
import type { EventBus } from '../events';

/** What exec needs to know about a container (the containers service provides it). */
export interface ExecTarget {
  id: string;
  name: string;
  running: boolean;
  paused: boolean;
  restarting: boolean;
  /** The container's OCI bundle: its config.json `process` is the template for execs. */
  bundleDir: string;
  /** Resolves `user[:group]` against the container's /etc/passwd and /etc/group. */
  resolveUser(user: string): Promise<{ uid: number; gid: number; additionalGids: number[] }>;
}

export interface ExecContainers {
  execTarget(idOrName: string): Promise<ExecTarget>;
}

/** The body of `POST /containers/{id}/exec`. */
export interface ExecCreateRequest {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: {
    tty: boolean;
    entrypoint: string;
    arguments: string[];
    privileged: boolean;
    user?: string;
  };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
}

export interface StartedExec {
  tty: boolean;
  attachStdin: boolean;
  connection: ProcessStdio | undefined;
  /** Settles once the exit code is recorded in the instance. */
  exited: Promise<number>;
}

interface ExecInstance {
  id: string;
  containerId: string;
  containerName: string;
  request: ExecCreateRequest;
  cmd: string[];
  state: 'created' | 'running' | 'exited';
  exitCode: number | null;
  pid: number;
  /** Set while the process runs. */
  resizeTerminal: ((height: number, width: number) => Promise<void>) | undefined;
  finishedAt: number;
  /** Resizes that arrived before the process was launched, waiting for it (or for its failure). */
  launchWaiters: Set<() => void>;
}

export interface ExecServiceOptions {
  containers: ExecContainers;
  /** How execs start: with a terminal (conmon holds it), and without one. */
  launchers: { terminal: ExecLauncher; plain: ExecLauncher };
  events: EventBus;
  /** Where per-exec session folders live (under the exec root: they do not outlive a boot). */
  sessionsDir: string;
}

/** Exited instances are kept this long for inspect, as Docker keeps them until cleanup. */
const KEEP_EXITED_MS = 5 * 60_000;

/**
 * How long a resize waits for its exec to be launched, as dockerd does: clients resize right after
 * the start's 101, which comes before the process (and its terminal) exists.
 */
export const RESIZE_WAITS_FOR_LAUNCH_MS = 10_000;

export class ExecService {
  private readonly instances = new Map<string, ExecInstance>();

  constructor(private readonly options: ExecServiceOptions) {}

  async create(containerIdOrName: string, request: ExecCreateRequest): Promise<{ Id: string }> {
    const cmd = request.Cmd ?? [];
    if (!Array.isArray(cmd) || cmd.length === 0)
      throw new InvalidArgumentError('No exec command specified');
    if (request.ConsoleSize) validateSize(request.ConsoleSize);
    const target = await this.runnableTarget(containerIdOrName);
    this.dropOldInstances();
    const id = randomBytes(32).toString('hex');
    this.instances.set(id, {
      id,
      containerId: target.id,
      containerName: target.name,
      request,
      cmd,
      state: 'created',
      exitCode: null,
      pid: 0,
      resizeTerminal: undefined,
      finishedAt: 0,
      launchWaiters: new Set(),
    });
    this.emit('exec_create', target, cmd, id);
    return { Id: id };
  }

  inspect(execId: string): ExecInspect {
    const instance = this.instance(execId);
    const [entrypoint = '', ...args] = instance.cmd;
    return {
      ID: instance.id,
      Running: instance.state === 'running',
      ExitCode: instance.exitCode,
      ProcessConfig: {
        tty: instance.request.Tty ?? false,
        entrypoint,
        arguments: args,
        privileged: instance.request.Privileged ?? false,
        ...(instance.request.User ? { user: instance.request.User } : {}),
      },
      OpenStdin: instance.request.AttachStdin ?? false,
      OpenStderr: instance.request.AttachStderr ?? false,
      OpenStdout: instance.request.AttachStdout ?? false,
      CanRemove: instance.state === 'exited',
      ContainerID: instance.containerId,
      DetachKeys: instance.request.DetachKeys ?? '',
      Pid: instance.pid,
    };
  }

  /**
   * Runs the exec. Detached, output goes nowhere and the call returns once it started; attached,
   * the caller pumps `connection` and must wait for `exited` before closing the client's stream.
   */
  async start(
    execId: string,
    options: { detach: boolean; consoleSize?: [number, number] | null },
  ): Promise<StartedExec> {
    const { instance, target } = await this.startable(execId);
    const consoleSize = options.consoleSize ?? instance.request.ConsoleSize ?? undefined;
    if (consoleSize) validateSize(consoleSize);
    const tty = instance.request.Tty ?? false;
    const attachStdin = !options.detach && (instance.request.AttachStdin ?? false);
    const attach =
      !options.detach &&
      (attachStdin ||
        (instance.request.AttachStdout ?? false) ||
        (instance.request.AttachStderr ?? false));
    const sessionDir = join(this.options.sessionsDir, execId);
    instance.state = 'running';
    let running;
    try {
      const process = await this.processSpec(target, instance, tty, consoleSize ?? undefined);
      // Small local files, read and made in place: each thread-pool round trip costs more here.
      mkdirSync(sessionDir, { recursive: true, mode: 0o700 });
      const launcher = tty ? this.options.launchers.terminal : this.options.launchers.plain;
      running = await launcher.launch({
        containerId: target.id,
        execId,
        sessionDir,
        process,
        attach,
        stdin: attachStdin,
      });
    } catch (error) {
      instance.state = 'exited';
      instance.finishedAt = Date.now();
      wakeLaunchWaiters(instance);
      await rm(sessionDir, { recursive: true, force: true });
      if (error instanceof ExecStartError) {
        // Docker reports a missing binary as exit code 126/127 with runc's message.
        instance.exitCode = /not found|no such file/i.test(error.message) ? 127 : 126;
        throw new ExecLaunchFailed(
          `OCI runtime exec failed: ${error.message}: unknown`,
          instance.exitCode,
        );
      }
      throw error;
    }
    instance.pid = running.pid;
    instance.resizeTerminal = (height, width) => running.resize(height, width);
    wakeLaunchWaiters(instance);
    this.emit('exec_start', target, instance.cmd, execId);
    const exited = running.exited.then((exitCode) => {
      instance.exitCode = exitCode;
      instance.state = 'exited';
      instance.finishedAt = Date.now();
      instance.resizeTerminal = undefined;
      this.options.events.emit({
        Type: 'container',
        Action: 'exec_die',
        Actor: {
          ID: target.id,
          Attributes: { name: target.name, execID: execId, exitCode: String(exitCode) },
        },
      });
      // Off the client's path: its stream closes as soon as the exit code is recorded.
      void rm(sessionDir, { recursive: true, force: true }).catch(() => undefined);
      return exitCode;
    });
    return { tty, attachStdin, connection: running.connection, exited };
  }

  /**
   * Checks that the exec can start (404, 409) without starting it: a hijacking caller must know
   * the status code before it answers 101.
   */
  async assertStartable(execId: string): Promise<void> {
    await this.startable(execId);
  }

  private async startable(execId: string): Promise<{ instance: ExecInstance; target: ExecTarget }> {
    const instance = this.instance(execId);
    if (instance.state === 'running')
      throw new ConflictError(`Error: Exec command ${execId} is already running`);
    if (instance.state === 'exited')
      throw new ConflictError(`Error: Exec command ${execId} has already run`);
    return { instance, target: await this.runnableTarget(instance.containerId) };
  }

  /**
   * Resizes the exec's terminal. A resize that arrives between the start's 101 and the launch
   * waits for the launch (up to RESIZE_WAITS_FOR_LAUNCH_MS), so the first size a client sends
   * is not lost.
   */
  async resize(execId: string, height: number, width: number): Promise<void> {
    const instance = this.instance(execId);
    assertTerminalSize(height, width);
    if (instance.state !== 'exited' && !instance.resizeTerminal) await waitForLaunch(instance);
    if (instance.state === 'exited' || !instance.resizeTerminal) {
      throw new ConflictError(`cannot resize exec ${execId}: it is not running`);
    }
    await instance.resizeTerminal(height, width);
  }

  /** At daemon stop: the launchers free what they keep; running execs go on. */
  close(): void {
    this.options.launchers.terminal.close?.();
    this.options.launchers.plain.close?.();
  }

  /** Forgets the instances of a removed container. */
  forgetContainer(containerId: string): void {
    for (const [id, instance] of this.instances)
      if (instance.containerId === containerId) this.instances.delete(id);
  }

  private instance(execId: string): ExecInstance {
    const instance = this.instances.get(execId);
    if (!instance) throw new NotFoundError(`No such exec instance: ${execId}`);
    return instance;
  }

  private async runnableTarget(idOrName: string): Promise<ExecTarget> {
    const target = await this.options.containers.execTarget(idOrName);
    if (target.paused)
      throw new ConflictError(
        `Container ${target.id} is paused, unpause the container before exec`,
      );
    if (target.restarting)
      throw new ConflictError(
        `Container ${target.id} is restarting, wait until the container is running`,
      );
    if (!target.running) throw new ConflictError(`Container ${target.id} is not running`);
    return target;
  }

  /** The container's own process settings, with the exec's command, env, user and cwd on top. */
  private async processSpec(
    target: ExecTarget,
    instance: ExecInstance,
    tty: boolean,
    consoleSize: [number, number] | undefined,
  ): Promise<ExecProcessSpec> {
    const config = JSON.parse(readFileSync(join(target.bundleDir, 'config.json'), 'utf8')) as {
      process: ExecProcessSpec & { capabilities?: Record<string, string[]> };
    };
    const base = config.process;
    const request = instance.request;
    // An unknown user is the runtime's refusal to start the process (126), as with runc.
    const user = request.User
      ? await target.resolveUser(request.User).catch((error: unknown) => {
          throw error instanceof InvalidArgumentError ? new ExecStartError(error.message) : error;
        })
      : base.user;
    const env = mergeEnv(base.env ?? [], request.Env ?? []);
    if (tty && !env.some((entry) => entry.startsWith('TERM='))) env.push('TERM=xterm');
    const spec: ExecProcessSpec = {
      ...base,
      terminal: tty,
      user,
      args: instance.cmd,
      env,
      cwd: request.WorkingDir || base.cwd || '/',
    };
    if (request.Privileged) spec.capabilities = privilegedCapabilities(base.capabilities);
    if (consoleSize) spec.consoleSize = { height: consoleSize[0], width: consoleSize[1] };
    else delete spec.consoleSize;
    return spec;
  }

  private emit(action: string, target: ExecTarget, cmd: string[], execId: string): void {
    this.options.events.emit({
      Type: 'container',
      Action: `${action}: ${cmd.join(' ')}`,
      Actor: { ID: target.id, Attributes: { name: target.name, execID: execId } },
    });
  }

  private dropOldInstances(): void {
    const cutoff = Date.now() - KEEP_EXITED_MS;
    for (const [id, instance] of this.instances) {
      if (instance.state === 'exited' && instance.finishedAt < cutoff) this.instances.delete(id);
    }
  }
}

/** The exec could not start; Docker still records an exit code for it (126 or 127). */
export class ExecLaunchFailed extends Error {
  override readonly name = 'ExecLaunchFailed';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

function wakeLaunchWaiters(instance: ExecInstance): void {
  for (const wake of instance.launchWaiters) wake();
  instance.launchWaiters.clear();
}

function waitForLaunch(instance: ExecInstance): Promise<void> {
  return new Promise((resolve, reject) => {
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      instance.launchWaiters.delete(wake);
      reject(new SystemError('timeout waiting for exec session ready'));
    }, RESIZE_WAITS_FOR_LAUNCH_MS);
    instance.launchWaiters.add(wake);
  });
}

/** Later entries override earlier ones with the same name, as Docker merges exec env. */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const merged = new Map<string, string>();
  for (const entry of [...base, ...overrides]) {
    const equals = entry.indexOf('=');
    merged.set(equals < 0 ? entry : entry.slice(0, equals), entry);
  }
  return [...merged.values()];
}

/** A privileged exec gets every capability the container's bounding set allows. */
function privilegedCapabilities(
  base: Record<string, string[]> | undefined,
): Record<string, string[]> {
  const bounding = base?.['bounding'] ?? [];
  return { bounding, effective: bounding, permitted: bounding, inheritable: bounding, ambient: [] };
}

function validateSize(size: [number, number]): void {
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    size.some((n) => !Number.isInteger(n) || n < 0 || n > 65535)
  ) {
    throw new InvalidArgumentError(`invalid ConsoleSize: ${JSON.stringify(size)}`);
  }
}
