// The runtime driver's one job: run the process described by an OCI bundle and report how it
// ended. Everything Docker-shaped (names, restart policies, events) lives above it, in services.
import type { OciResources } from './oci-spec';

export type RuntimeStatus = 'created' | 'running' | 'paused' | 'stopped';

export interface RuntimeState {
  id: string;
  status: RuntimeStatus;
  /** Host pid of the container's init process; 0 once stopped. */
  pid: number;
}

export interface RuntimeCreateOptions {
  id: string;
  /** Directory holding config.json and the mounted rootfs. */
  bundleDir: string;
  /** k8s-file log written by the supervisor; survives daemon restarts. */
  logPath: string;
  /** Allocate a pseudo-terminal for the process. */
  tty: boolean;
  /** Keep the process's stdin open for attach (`-i`). */
  openStdin: boolean;
  /** Keep stdin open when an attach client disconnects (Docker: OpenStdin without StdinOnce). */
  leaveStdinOpen?: boolean;
  /** Largest log size in bytes before the supervisor truncates it; undefined = unlimited. */
  logSizeMax?: number;
}

export interface RunInContainerOptions {
  env?: string[];
  /** uid[:gid] */
  user?: string;
  cwd?: string;
  timeoutMs: number;
  maxOutput?: number;
}

export interface RunResult {
  exitCode: number;
  output: string;
  timedOut: boolean;
}

/** How a container process ended, as recorded by the supervisor (survives daemon restarts). */
export interface ExitRecord {
  exitCode: number;
  oomKilled: boolean;
  exitedAt: Date;
}

export interface RuntimeDriver {
  readonly name: string;
  /** Creates the container (namespaces, cgroup, process waiting to exec); returns its pid. */
  create(options: RuntimeCreateOptions): Promise<{ pid: number }>;
  /** Lets a created container's process exec its entrypoint. */
  start(id: string): Promise<void>;
  /** Sends a signal (name like SIGTERM or a number) to the init process. */
  kill(id: string, signal: string): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** The runtime's view of the container, or undefined if it knows no such container. */
  state(id: string): Promise<RuntimeState | undefined>;
  /**
   * Runs a short command inside a running container and waits for it, output captured (stdout
   * and stderr interleaved, at most `maxOutput` bytes kept). Health checks use this; interactive
   * exec goes through the supervisor instead.
   */
  runInContainer(id: string, argv: string[], options: RunInContainerOptions): Promise<RunResult>;
  /** Changes the cgroup limits of a running container. */
  update(id: string, resources: OciResources): Promise<void>;
  /** Every container the runtime knows, including ones a crashed daemon left behind. */
  list(): Promise<RuntimeState[]>;
  /** Host pids of every process in the container. */
  processes(id: string): Promise<number[]>;
  /** Forgets the container in the runtime; force also kills a still-running one. */
  delete(id: string, options?: { force?: boolean }): Promise<void>;
  /** The recorded exit of a container's last run, if it has exited. */
  readExit(id: string, bundleDir: string): Promise<ExitRecord | undefined>;
  /** Drops a previous run's exit record, before the container runs again. */
  clearExit(id: string, bundleDir: string): Promise<void>;
  /** Whether the supervisor of a container is still alive (after a daemon restart). */
  supervisorAlive(bundleDir: string): Promise<boolean>;
  /** Calls `listener(id)` whenever a container exits. Returns the disposer. */
  watchExits(listener: (id: string) => void): () => void;
  /** Path of the supervisor's attach socket (SOCK_SEQPACKET) for a container. */
  attachSocketPath(id: string): string;
  /** Path of the control fifo (terminal resize) for a container. */
  controlPath(bundleDir: string): string;
  close(): void;
}
