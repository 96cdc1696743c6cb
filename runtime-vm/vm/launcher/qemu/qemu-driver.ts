// The QEMU driver: Linux hosts and tests here (TCG), and the fallback on macOS (HVF) and Windows
// (WHPX). Control channel: a virtio-serial port whose backend is a unix socket this launcher
// listens on. Engine API: user-mode networking forwards a loopback port to the agent's relay
// (QEMU 7.2 cannot forward to a unix socket, so the host socket is a relay on top; see
// engine-socket-relay.ts). Published ports: hostfwd_add through QMP. Folders: virtiofsd.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  rmSync,
} from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort } from '../free-port';
import {
  VmLaunchError,
  type PortForward,
  type ShareMount,
  type VmDriver,
  type VmExit,
  type VmInstance,
  type VmLaunchSpec,
} from '../vm-driver';
import { ensureDataDisk } from './data-disk';
import { QmpClient } from './qmp-client';
import {
  chooseAccelerators,
  qemuCommand,
  virtiofsdCommand,
  type QemuArch,
  type QemuShare,
  type VirtiofsdFlavour,
} from './qemu-command';

export interface QemuDriverOptions {
  arch?: QemuArch;
  /** Defaults to process.env.BERTH_VM_ACCEL. */
  accelOverride?: string;
  /** Reported when a setting cannot be applied (e.g. the disk cannot shrink). */
  warn?: (message: string) => void;
}

const VIRTIOFSD_CANDIDATES: { path: string; flavour: VirtiofsdFlavour }[] = [
  { path: '/usr/libexec/virtiofsd', flavour: 'rust' },
  { path: '/usr/lib/qemu/virtiofsd', flavour: 'c' },
];

function findVirtiofsd(): { path: string; flavour: VirtiofsdFlavour } | undefined {
  const override = process.env.BERTH_VIRTIOFSD;
  if (override) return { path: override, flavour: override.includes('/qemu/') ? 'c' : 'rust' };
  return VIRTIOFSD_CANDIDATES.find((candidate) => existsSync(candidate.path));
}

function kvmUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function waitForFile(path: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline)
      throw new VmLaunchError(`${what} did not create ${path} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

function exitOf(child: ChildProcess): Promise<VmExit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

export class QemuDriver implements VmDriver {
  readonly kind = 'qemu';

  constructor(private readonly options: QemuDriverOptions = {}) {}

  async launch(spec: VmLaunchSpec): Promise<VmInstance> {
    mkdirSync(spec.stateDir, { recursive: true });
    const dataDisk = join(spec.stateDir, 'data.qcow2');
    const { warning } = await ensureDataDisk(dataDisk, spec.settings.diskGiB);
    if (warning) this.options.warn?.(warning);

    const agentSocket = join(spec.stateDir, 'agent.sock');
    const qmpSocket = join(spec.stateDir, 'qmp.sock');
    for (const path of [agentSocket, qmpSocket]) rmSync(path, { force: true });
    const agentServer = createServer();
    await new Promise<void>((resolve, reject) => {
      agentServer.once('error', reject);
      agentServer.listen(agentSocket, () => resolve());
    });
    // QEMU connects as soon as it starts, before its monitor answers: catch that connection now.
    const agentConnection = new Promise<Socket>((resolve) =>
      agentServer.once('connection', resolve),
    );

    const helpers: ChildProcess[] = [];
    const shares: QemuShare[] = [];
    const virtiofsd = findVirtiofsd();
    try {
      for (const [index, hostPath] of spec.shares.entries()) {
        const tag = `berth${index}`;
        if (!virtiofsd) {
          shares.push({ tag, hostPath, fsType: '9p' });
          continue;
        }
        const socket = join(spec.stateDir, `fs${index}.sock`);
        rmSync(socket, { force: true });
        const command = virtiofsdCommand(virtiofsd.path, virtiofsd.flavour, socket, hostPath);
        const helperLog = openSync(join(spec.stateDir, `virtiofsd-${index}.log`), 'w');
        const helper = spawn(command.binary, command.args, {
          stdio: ['ignore', helperLog, helperLog],
        });
        closeSync(helperLog);
        helpers.push(helper);
        await waitForFile(socket, 5000, `virtiofsd for ${hostPath}`);
        shares.push({ tag, hostPath, fsType: 'virtiofs', virtiofsSocket: socket });
      }
    } catch (error) {
      for (const helper of helpers) helper.kill('SIGKILL');
      agentServer.close();
      throw error;
    }

    const accelerators = chooseAccelerators(
      process.platform,
      this.options.accelOverride ?? process.env.BERTH_VM_ACCEL,
      kvmUsable(),
    );
    const engineHostPort = await freeLoopbackPort();
    const command = qemuCommand({
      arch: this.options.arch ?? (process.arch === 'arm64' ? 'arm64' : 'amd64'),
      accelerators,
      settings: spec.settings,
      image: spec.image,
      dataDisk,
      consoleLogPath: spec.consoleLogPath,
      qmpSocket,
      agentSocket,
      engineHostPort,
      shares,
    });
    const stderrLog = createWriteStream(join(spec.stateDir, 'qemu.log'));
    const child = spawn(command.binary, command.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrLog.write(chunk);
      stderr.push(chunk.toString('utf8'));
    });
    const exited = exitOf(child).then((exit) => {
      for (const helper of helpers) helper.kill('SIGTERM');
      agentServer.close();
      stderrLog.end();
      return exit;
    });
    child.once('error', (error) => stderr.push(error.message));

    let qmp: QmpClient;
    try {
      qmp = await Promise.race([
        QmpClient.connect(qmpSocket, 30_000),
        exited.then((exit) => {
          throw new VmLaunchError(
            `QEMU exited at start (${exit.signal ?? exit.code}): ${stderr.join('').trim()}`,
          );
        }),
      ]);
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      throw error;
    }
    let accelerator: string = accelerators[0] ?? 'tcg';
    if (accelerators.includes('kvm')) {
      const kvm = (await qmp.execute('query-kvm')) as { enabled: boolean };
      accelerator = kvm.enabled ? 'kvm' : 'tcg';
    }
    return new QemuInstance(
      child,
      exited,
      accelerator,
      qmp,
      agentConnection,
      engineHostPort,
      shares,
    );
  }
}

class QemuInstance implements VmInstance {
  readonly shareMounts: ShareMount[];
  private readonly agentConnection: Promise<Socket>;

  constructor(
    private readonly child: ChildProcess,
    readonly exited: Promise<VmExit>,
    readonly accelerator: string,
    private readonly qmp: QmpClient,
    agentConnection: Promise<Socket>,
    private readonly engineHostPort: number,
    shares: QemuShare[],
  ) {
    this.shareMounts = shares.map((share) => ({
      tag: share.tag,
      path: share.hostPath,
      fsType: share.fsType,
    }));
    // QEMU connects once, at start; the guest end becomes readable when the agent opens its port.
    this.agentConnection = Promise.race([
      agentConnection,
      exited.then((): never => {
        throw new VmLaunchError('QEMU exited before connecting the agent channel');
      }),
    ]);
    this.agentConnection.catch(() => undefined); // surfaced by agentChannel() callers
    void exited.then(() => qmp.close());
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  agentChannel(): Promise<Duplex> {
    return this.agentConnection;
  }

  connectEngine(): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: this.engineHostPort, allowHalfOpen: true });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  setGuestAddress(): void {
    // User-mode networking: hostfwd targets the guest's DHCP address by default.
  }

  async forwardPort(forward: PortForward): Promise<void> {
    await this.qmp.humanCommand(
      `hostfwd_add net0 ${forward.protocol}:${forward.hostIp}:${forward.hostPort}-:${forward.guestPort}`,
    );
  }

  async unforwardPort(forward: PortForward): Promise<void> {
    await this.qmp.humanCommand(
      `hostfwd_remove net0 ${forward.protocol}:${forward.hostIp}:${forward.hostPort}`,
      /rule .* removed/,
    );
  }

  async hardStop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    // QEMU may close the monitor before it answers `quit`; the exit below is what counts.
    await this.qmp.execute('quit').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}
