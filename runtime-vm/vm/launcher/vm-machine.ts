// The VM's lifecycle as a state machine: stopped → starting → running ⇄ degraded → stopping.
// Ready means the agent said hello (shares mounted) and berthd answered /_ping through the host
// socket, i.e. the whole path a `docker` client uses. A lost heartbeat or a berthd restart makes
// the VM degraded until the agent reports a healthy berthd again; a hypervisor that dies on its
// own is restarted with backoff. stop() asks the agent to shut down cleanly, then stops hard.
import { EventEmitter } from 'node:events';
import { request } from 'node:http';
import { join } from 'node:path';
import { Backoff } from '../guest/backoff';
import {
  encodeBerthdArgs,
  type BootTimes,
  type GuestMessage,
  type PublishedPort,
} from '../guest/protocol';
import { AgentLink } from './agent-link';
import { EngineSocketRelay } from './engine-socket-relay';
import { SettingsStore } from './settings-store';
import type { GuestImageFiles, PortForward, VmDriver, VmInstance, VmSettings } from './vm-driver';

export type VmState = 'stopped' | 'starting' | 'running' | 'degraded' | 'stopping';

export interface VmTiming {
  /** From launch to a healthy engine, per attempt. */
  readyTimeoutMs: number;
  heartbeatTimeoutMs: number;
  shutdownTimeoutMs: number;
  restart: { initialMs: number; maxMs: number; healthyAfterMs: number; maxAttempts: number };
}

export const DEFAULT_TIMING: VmTiming = {
  readyTimeoutMs: 120_000,
  heartbeatTimeoutMs: 10_000,
  shutdownTimeoutMs: 20_000,
  restart: { initialMs: 1000, maxMs: 30_000, healthyAfterMs: 120_000, maxAttempts: 5 },
};

export interface BootReport {
  accelerator: string;
  /** Milliseconds from the launch call. */
  helloMs: number;
  berthdReadyMs: number;
  pingMs: number;
  /** The guest's own clock: seconds since its kernel started. */
  guest: BootTimes & { berthdReadyS: number };
}

export interface HeartbeatInfo {
  uptimeS: number;
  memTotalKiB: number;
  memAvailableKiB: number;
  berthdRunning: boolean;
}

export interface VmMachineOptions {
  driver: VmDriver;
  /** Resolved at each start, so a rebuilt image is picked up by the next boot. */
  image: () => Promise<GuestImageFiles>;
  stateDir: string;
  /** Where berthd's API appears on the host. */
  hostSocketPath: string;
  shares?: string[];
  timing?: Partial<VmTiming>;
  /** Host address published ports bind to; 127.0.0.1 unless the user opted into more. */
  publishAddress?: string;
  /** Flags for berthd in the guest, e.g. ['--insecure-registry', '10.0.2.2:5000']. */
  berthdArgs?: string[];
  /** Pings berthd through the host socket; replaceable in tests. */
  pingEngine?: (socketPath: string) => Promise<boolean>;
}

export interface VmMachineEvents {
  state: [VmState];
  heartbeat: [HeartbeatInfo];
  warning: [string];
  ports: [PortForward[]];
}

export class VmStateError extends Error {
  override readonly name = 'VmStateError';
}

export function pingOverSocket(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 5000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

export class VmMachine extends EventEmitter<VmMachineEvents> {
  private current: VmState = 'stopped';
  private instance: VmInstance | undefined;
  private link: AgentLink | undefined;
  private relay: EngineSocketRelay | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private forwards = new Map<string, PortForward>();
  private portQueue: Promise<void> = Promise.resolve();
  private readonly timing: VmTiming;
  private readonly backoff: Backoff;
  private readonly settingsStore: SettingsStore;
  private bootSettings: VmSettings | undefined;
  private lastBoot: BootReport | undefined;
  private lastError: Error | undefined;
  private launchedAt = 0;
  private startPromise: Promise<void> | undefined;

  constructor(private readonly options: VmMachineOptions) {
    super();
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.backoff = new Backoff(this.timing.restart);
    this.settingsStore = new SettingsStore(join(options.stateDir, 'settings.json'));
  }

  get state(): VmState {
    return this.current;
  }

  get consoleLogPath(): string {
    return join(this.options.stateDir, 'console.log');
  }

  get bootReport(): BootReport | undefined {
    return this.lastBoot;
  }

  get error(): Error | undefined {
    return this.lastError;
  }

  get settings(): VmSettings {
    return this.settingsStore.read();
  }

  /** Saves new settings; they apply at the next start. Returns whether a restart is needed. */
  updateSettings(change: Partial<VmSettings>): { settings: VmSettings; restartNeeded: boolean } {
    const settings = this.settingsStore.update(change);
    const booted = this.bootSettings;
    const restartNeeded =
      this.current !== 'stopped' &&
      booted !== undefined &&
      JSON.stringify(booted) !== JSON.stringify(settings);
    return { settings, restartNeeded };
  }

  /** Starts the VM and resolves once it is ready; rejects if every attempt failed. */
  start(): Promise<void> {
    if (this.current === 'running' || this.current === 'degraded') return Promise.resolve();
    if (this.startPromise) return this.startPromise;
    if (this.current === 'stopping')
      return Promise.reject(new VmStateError('the VM is stopping; start it once it has stopped'));
    this.backoff.reset();
    return this.beginStart();
  }

  private beginStart(): Promise<void> {
    this.startPromise = this.startWithRetries().finally(() => {
      this.startPromise = undefined;
    });
    return this.startPromise;
  }

  async syncClock(): Promise<void> {
    const link = this.requireLink('sync the clock');
    await link.request({ type: 'sync-clock', epochMs: Date.now() }, 10_000);
  }

  /** Publishes a guest port on the host (the agent does this by itself for containers' -p). */
  async forwardPort(
    hostPort: number,
    guestPort: number,
    hostIp = this.options.publishAddress ?? '127.0.0.1',
  ): Promise<void> {
    const instance = this.instance;
    if (!instance || (this.current !== 'running' && this.current !== 'degraded')) {
      throw new VmStateError(`cannot forward port ${hostPort}: the VM is ${this.current}`);
    }
    const forward: PortForward = { protocol: 'tcp', hostIp, hostPort, guestPort };
    await instance.forwardPort(forward);
    this.forwards.set(forwardKey(forward), forward);
  }

  async stop(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.startPromise) await this.startPromise.catch(() => undefined);
    const instance = this.instance;
    if (!instance) {
      this.setState('stopped');
      return;
    }
    this.setState('stopping');
    this.stopWatchdog();
    const link = this.link;
    let graceful = false;
    if (link) {
      try {
        await link.request({ type: 'shutdown' }, this.timing.shutdownTimeoutMs);
        graceful = await Promise.race([
          instance.exited.then(() => true),
          new Promise<boolean>((resolve) =>
            setTimeout(() => resolve(false), this.timing.shutdownTimeoutMs).unref(),
          ),
        ]);
      } catch (error) {
        this.emit(
          'warning',
          `graceful shutdown failed, stopping hard: ${(error as Error).message}`,
        );
      }
    }
    if (!graceful) await instance.hardStop();
    await this.teardown();
    this.setState('stopped');
  }

  private async startWithRetries(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.bootOnce();
        return;
      } catch (error) {
        this.lastError = error as Error;
        await this.abandonInstance();
        if (attempt >= this.timing.restart.maxAttempts || this.current === 'stopping') {
          this.setState('stopped');
          throw error;
        }
        const delay = this.backoff.next(0);
        this.emit(
          'warning',
          `VM start failed (${(error as Error).message}); retrying in ${delay} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async bootOnce(): Promise<void> {
    this.setState('starting');
    const settings = this.settingsStore.read();
    const built = await this.options.image();
    const berthdArgs = this.options.berthdArgs ?? [];
    const image =
      berthdArgs.length > 0
        ? { ...built, cmdline: [...built.cmdline, encodeBerthdArgs(berthdArgs)] }
        : built;
    this.launchedAt = Date.now();
    const instance = await this.options.driver.launch({
      image,
      settings,
      stateDir: this.options.stateDir,
      consoleLogPath: this.consoleLogPath,
      shares: this.options.shares ?? [],
    });
    this.instance = instance;
    this.bootSettings = settings;
    // One failure source for every wait below: the deadline, or the VM exiting under us.
    let step = 'the agent channel';
    let deadlineTimer: NodeJS.Timeout | undefined;
    const failure = new Promise<never>((_, reject) => {
      deadlineTimer = setTimeout(
        () =>
          reject(
            new VmStateError(
              `${step} did not happen within ${this.timing.readyTimeoutMs} ms; see ${this.consoleLogPath}`,
            ),
          ),
        this.timing.readyTimeoutMs,
      );
      void instance.exited.then((exit) =>
        reject(
          new VmStateError(
            `the VM exited while starting (${exit.signal ?? exit.code}); see ${this.consoleLogPath}`,
          ),
        ),
      );
    });
    failure.catch(() => undefined); // observed through the races below
    const withDeadline = <T>(promise: Promise<T>, what: string): Promise<T> => {
      step = what;
      return Promise.race([promise, failure]);
    };
    try {
      await this.waitUntilReady(instance, withDeadline);
    } finally {
      clearTimeout(deadlineTimer);
    }
    void instance.exited.then(() => this.onUnexpectedExit(instance));
    this.armWatchdog();
    this.setState('running');
  }

  private async waitUntilReady(
    instance: VmInstance,
    withDeadline: <T>(promise: Promise<T>, what: string) => Promise<T>,
  ): Promise<void> {
    const link = new AgentLink(await withDeadline(instance.agentChannel(), 'the agent channel'));
    this.link = link;
    // Subscribed now, awaited in turn: berthd may be ready before the shares are mounted.
    const hello = this.nextMessage(link, 'hello');
    const berthdReady = this.nextMessage(link, 'berthd-ready');
    berthdReady.catch(() => undefined); // awaited below; a closed channel fails the hello first
    link.on('message', (message) => this.onMessage(message));
    const helloMessage = await withDeadline(hello, 'the agent hello');
    const helloMs = Date.now() - this.launchedAt;
    for (const share of instance.shareMounts) {
      await withDeadline(
        link.request(
          { type: 'mount-share', tag: share.tag, path: share.path, fsType: share.fsType },
          30_000,
        ),
        `mounting ${share.path}`,
      );
    }
    const ready = await withDeadline(berthdReady, 'berthd readiness');
    const berthdReadyMs = Date.now() - this.launchedAt;

    const relay = new EngineSocketRelay(this.options.hostSocketPath, () =>
      instance.connectEngine(),
    );
    await relay.listen();
    this.relay = relay;
    const ping = this.options.pingEngine ?? pingOverSocket;
    while (
      !(await withDeadline(
        ping(this.options.hostSocketPath),
        'berthd /_ping through the host socket',
      ))
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.lastBoot = {
      accelerator: instance.accelerator,
      helloMs,
      berthdReadyMs,
      pingMs: Date.now() - this.launchedAt,
      guest: { ...helloMessage.bootTimes, berthdReadyS: ready.uptimeS },
    };
    this.lastError = undefined;
  }

  private nextMessage<T extends GuestMessage['type']>(
    link: AgentLink,
    type: T,
  ): Promise<Extract<GuestMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: GuestMessage): void => {
        if (message.type !== type) return;
        link.off('message', onMessage);
        link.off('closed', onClosed);
        resolve(message as Extract<GuestMessage, { type: T }>);
      };
      const onClosed = (): void => {
        link.off('message', onMessage);
        reject(new VmStateError(`the agent channel closed before ${type}`));
      };
      link.on('message', onMessage);
      link.once('closed', onClosed);
    });
  }

  private onMessage(message: GuestMessage): void {
    switch (message.type) {
      case 'heartbeat':
        this.armWatchdog();
        this.emit('heartbeat', message);
        if (this.current === 'running' && !message.berthdRunning) this.setState('degraded');
        if (this.current === 'degraded' && message.berthdRunning) this.setState('running');
        break;
      case 'berthd-exit':
        if (this.current === 'running') this.setState('degraded');
        break;
      case 'berthd-ready':
        if (this.current === 'degraded') this.setState('running');
        break;
      case 'network':
        this.instance?.setGuestAddress(message.address);
        break;
      case 'ports':
        this.portQueue = this.portQueue.then(() => this.applyPorts(message.ports));
        break;
      default:
        break;
    }
  }

  /** Makes the host's forwards match the ports containers publish in the guest. */
  private async applyPorts(ports: PublishedPort[]): Promise<void> {
    const instance = this.instance;
    if (!instance) return;
    const hostIp = this.options.publishAddress ?? '127.0.0.1';
    const wanted = new Map<string, PortForward>();
    for (const port of ports) {
      const forward: PortForward = {
        protocol: port.protocol,
        hostIp,
        hostPort: port.hostPort,
        guestPort: port.hostPort,
      };
      wanted.set(forwardKey(forward), forward);
    }
    for (const [key, forward] of this.forwards) {
      if (wanted.has(key)) continue;
      this.forwards.delete(key);
      await instance
        .unforwardPort(forward)
        .catch((error: Error) => this.emit('warning', error.message));
    }
    for (const [key, forward] of wanted) {
      if (this.forwards.has(key)) continue;
      try {
        await instance.forwardPort(forward);
        this.forwards.set(key, forward);
      } catch (error) {
        this.emit(
          'warning',
          `cannot publish ${forward.hostIp}:${forward.hostPort}: ${(error as Error).message}`,
        );
      }
    }
    this.emit('ports', [...this.forwards.values()]);
  }

  private armWatchdog(): void {
    this.stopWatchdog();
    this.heartbeatTimer = setTimeout(() => {
      if (this.current === 'running') {
        this.emit(
          'warning',
          `no heartbeat from the guest agent for ${this.timing.heartbeatTimeoutMs} ms`,
        );
        this.setState('degraded');
      }
    }, this.timing.heartbeatTimeoutMs);
  }

  private stopWatchdog(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private onUnexpectedExit(instance: VmInstance): void {
    if (this.instance !== instance || this.current === 'stopping' || this.current === 'stopped')
      return;
    const ranMs = Date.now() - this.launchedAt;
    void this.teardown().then(() => {
      if (
        this.backoff.consecutiveFailures >= this.timing.restart.maxAttempts &&
        ranMs < this.timing.restart.healthyAfterMs
      ) {
        this.lastError = new VmStateError(
          `the VM keeps exiting; gave up after ${this.timing.restart.maxAttempts} restarts`,
        );
        this.setState('stopped');
        return;
      }
      const delay = this.backoff.next(ranMs);
      this.emit('warning', `the VM exited unexpectedly; restarting in ${delay} ms`);
      this.setState('starting');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.beginStart().catch((error: Error) =>
          this.emit('warning', `restart failed: ${error.message}`),
        );
      }, delay);
    });
  }

  private requireLink(action: string): AgentLink {
    if (!this.link || (this.current !== 'running' && this.current !== 'degraded')) {
      throw new VmStateError(`cannot ${action}: the VM is ${this.current}`);
    }
    return this.link;
  }

  /** After a failed attempt: the hypervisor goes, whatever state it was in. */
  private async abandonInstance(): Promise<void> {
    const instance = this.instance;
    if (instance) await instance.hardStop();
    await this.teardown();
  }

  private async teardown(): Promise<void> {
    this.stopWatchdog();
    this.link?.close();
    this.link = undefined;
    await this.relay?.close();
    this.relay = undefined;
    this.instance = undefined;
    this.forwards.clear();
  }

  private setState(state: VmState): void {
    if (this.current === state) return;
    this.current = state;
    this.emit('state', state);
  }
}

function forwardKey(forward: PortForward): string {
  return `${forward.protocol}/${forward.hostIp}/${forward.hostPort}`;
}
