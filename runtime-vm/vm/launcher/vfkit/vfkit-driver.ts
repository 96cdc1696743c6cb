// The vfkit driver (macOS, Apple Virtualization.framework). Control channel and berthd's API go
// over virtio-vsock, which vfkit maps to host unix sockets; published ports are relayed by this
// process from 127.0.0.1 to the guest's NAT address (reachable from the Mac); shares are
// virtio-fs. Written against vfkit's documented CLI and REST API; it cannot run on Linux, so its
// command line is what the unit tests check.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { TcpRelay } from '../../guest/agent/tcp-relay';
import {
  VmLaunchError,
  type PortForward,
  type ShareMount,
  type VmDriver,
  type VmExit,
  type VmInstance,
  type VmLaunchSpec,
} from '../vm-driver';
import { stableMacAddress, vfkitCommand } from './vfkit-command';

export interface VfkitDriverOptions {
  binary?: string;
  warn?: (message: string) => void;
}

/** Raw and sparse: created at the first start, grown (never shrunk) when the setting grows. */
export function ensureRawDataDisk(path: string, sizeGiB: number): { warning?: string } {
  const wanted = sizeGiB * 1024 ** 3;
  if (!existsSync(path)) {
    writeFileSync(path, '');
    truncateSync(path, wanted);
    return {};
  }
  const current = statSync(path).size;
  if (wanted > current) truncateSync(path, wanted);
  if (wanted < current) {
    return {
      warning: `the data disk stays at ${(current / 1024 ** 3).toFixed(1)} GiB: it cannot shrink to ${sizeGiB} GiB without losing data`,
    };
  }
  return {};
}

export class VfkitDriver implements VmDriver {
  readonly kind = 'vfkit';

  constructor(private readonly options: VfkitDriverOptions = {}) {}

  async launch(spec: VmLaunchSpec): Promise<VmInstance> {
    mkdirSync(spec.stateDir, { recursive: true });
    const dataDisk = join(spec.stateDir, 'data.raw');
    const { warning } = ensureRawDataDisk(dataDisk, spec.settings.diskGiB);
    if (warning) this.options.warn?.(warning);
    const sockets = {
      agent: join(spec.stateDir, 'agent.sock'),
      engine: join(spec.stateDir, 'engine-vsock.sock'),
      rest: join(spec.stateDir, 'vfkit.sock'),
    };
    for (const path of Object.values(sockets)) rmSync(path, { force: true });
    const shares = spec.shares.map((hostPath, index) => ({ tag: `berth${index}`, hostPath }));
    const command = vfkitCommand({
      binary: this.options.binary ?? 'vfkit',
      settings: spec.settings,
      image: spec.image,
      dataDisk,
      consoleLogPath: spec.consoleLogPath,
      agentSocket: sockets.agent,
      engineSocket: sockets.engine,
      restSocket: sockets.rest,
      macAddress: stableMacAddress(spec.stateDir),
      shares,
    });
    const log = createWriteStream(join(spec.stateDir, 'vfkit.log'));
    const child = spawn(command.binary, command.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<VmExit>((resolve) => {
      child.once('exit', (code, signal) => {
        log.end();
        resolve({ code, signal });
      });
      child.once('error', (error) => {
        log.end(`cannot start vfkit: ${error.message}\n`);
        resolve({ code: null, signal: null });
      });
    });
    return new VfkitInstance(
      child,
      exited,
      sockets,
      shares.map((share) => ({ tag: share.tag, path: share.hostPath, fsType: 'virtiofs' })),
    );
  }
}

class VfkitInstance implements VmInstance {
  readonly accelerator = 'vz';
  private guestAddress: string | undefined;
  private readonly relays = new Map<string, TcpRelay>();

  constructor(
    private readonly child: ChildProcess,
    readonly exited: Promise<VmExit>,
    private readonly sockets: { agent: string; engine: string; rest: string },
    readonly shareMounts: ShareMount[],
  ) {
    void exited.then(() => {
      for (const relay of this.relays.values()) void relay.close();
      this.relays.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * vfkit accepts on the host socket and then dials the guest's vsock port; until the agent
   * listens, it hangs up at once. So: connect until the agent's first bytes (its hello) arrive.
   */
  async agentChannel(): Promise<Duplex> {
    let running = true;
    void this.exited.then(() => (running = false));
    while (running) {
      const socket = await connectUnix(this.sockets.agent).catch(() => undefined);
      if (socket) {
        const first = await new Promise<Buffer | undefined>((resolve) => {
          socket.once('data', (chunk: Buffer) => resolve(chunk));
          socket.once('close', () => resolve(undefined));
        });
        if (first) {
          socket.pause();
          socket.unshift(first);
          return socket;
        }
      }
      await sleep(250);
    }
    throw new VmLaunchError('vfkit exited before the agent answered on vsock');
  }

  connectEngine(): Promise<Duplex> {
    return connectUnix(this.sockets.engine);
  }

  setGuestAddress(address: string): void {
    this.guestAddress = address;
  }

  async forwardPort(forward: PortForward): Promise<void> {
    if (forward.protocol !== 'tcp')
      throw new VmLaunchError(
        `vfkit forwards TCP ports only, not ${forward.protocol}/${forward.hostPort}`,
      );
    if (!this.guestAddress)
      throw new VmLaunchError(
        `cannot forward port ${forward.hostPort}: the guest has not reported its address yet`,
      );
    const relay = new TcpRelay({ host: this.guestAddress, port: forward.guestPort });
    await relay.listen(forward.hostPort, forward.hostIp);
    this.relays.set(`${forward.hostIp}:${forward.hostPort}`, relay);
  }

  async unforwardPort(forward: PortForward): Promise<void> {
    const key = `${forward.hostIp}:${forward.hostPort}`;
    await this.relays.get(key)?.close();
    this.relays.delete(key);
  }

  async hardStop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await postState(this.sockets.rest, 'HardStop').catch(() => this.child.kill('SIGKILL'));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

function connectUnix(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path, allowHalfOpen: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** vfkit's REST API: POST /vm/state {"state": "Stop" | "HardStop" | ...}. */
function postState(socketPath: string, state: 'Stop' | 'HardStop'): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: '/vm/state',
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.once('end', () =>
          res.statusCode && res.statusCode < 300
            ? resolve()
            : reject(new VmLaunchError(`vfkit ${state}: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.once('error', reject);
    req.end(JSON.stringify({ state }));
  });
}
