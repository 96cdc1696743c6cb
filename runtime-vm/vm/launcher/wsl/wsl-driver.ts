// The WSL2 driver (Windows). The image's root tarball becomes a WSL distribution at the first
// start; each start runs the agent inside it through wsl.exe, whose stdio is the control channel
// and whose stderr is the console log. berthd's API is the agent's relay on port 2375, which WSL2
// forwards to Windows' loopback, as it does for every published port.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { BERTHD_ARGS_PARAM, GUEST_ENGINE_PORT } from '../../guest/protocol';
import type { CommandLine } from '../qemu/qemu-command';
import {
  VmLaunchError,
  type PortForward,
  type VmDriver,
  type VmExit,
  type VmInstance,
  type VmLaunchSpec,
} from '../vm-driver';
import {
  applyWslConfig,
  parseWslList,
  wslAgentCommand,
  wslImportCommand,
  wslListCommand,
  wslResizeCommand,
  wslTerminateCommand,
} from './wsl-command';

export interface WslDriverOptions {
  distribution?: string;
  /** Write CPU and memory limits into this .wslconfig, usually %UserProfile%\\.wslconfig (they are global to WSL2). */
  wslConfigPath?: string;
}

function runWsl(command: CommandLine): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(command.binary, command.args, { encoding: 'buffer' }, (error, stdout, stderr) => {
      if (error)
        reject(
          new VmLaunchError(
            `${command.binary} ${command.args.join(' ')}: ${stderr.toString('utf16le').replace(/\0/g, '').trim() || error.message}`,
          ),
        );
      else resolve(stdout);
    });
  });
}

export class WslDriver implements VmDriver {
  readonly kind = 'wsl2';
  private readonly distribution: string;

  constructor(private readonly options: WslDriverOptions = {}) {
    this.distribution = options.distribution ?? 'Berth';
  }

  async launch(spec: VmLaunchSpec): Promise<VmInstance> {
    mkdirSync(spec.stateDir, { recursive: true });
    const installed = parseWslList(await runWsl(wslListCommand()));
    if (!installed.includes(this.distribution)) {
      if (!spec.image.rootTarball)
        throw new VmLaunchError(
          'WSL2 imports the guest from a root tarball; this image has none (build it with rootTarball: true)',
        );
      await runWsl(
        wslImportCommand(this.distribution, join(spec.stateDir, 'wsl'), spec.image.rootTarball),
      );
    }
    // The disk only grows; remember what was applied so an unchanged setting costs nothing.
    const diskRecord = join(spec.stateDir, 'wsl-disk-gib');
    const appliedGiB = existsSync(diskRecord) ? Number(readFileSync(diskRecord, 'utf8')) : 0;
    if (spec.settings.diskGiB > appliedGiB) {
      await runWsl(wslResizeCommand(this.distribution, spec.settings.diskGiB));
      writeFileSync(diskRecord, String(spec.settings.diskGiB));
    }
    const configPath = this.options.wslConfigPath;
    if (configPath) {
      const existing = existsSync(configPath) ? readFileSync(configPath, 'utf8') : '';
      writeFileSync(configPath, applyWslConfig(existing, spec.settings));
    }

    const berthdParam = spec.image.cmdline.filter((part) =>
      part.startsWith(`${BERTHD_ARGS_PARAM}=`),
    );
    const command = wslAgentCommand(this.distribution, berthdParam);
    const child = spawn(command.binary, command.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const consoleLog = createWriteStream(spec.consoleLogPath);
    child.stderr?.pipe(consoleLog);
    const exited = new Promise<VmExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => {
        consoleLog.write(`cannot run wsl.exe: ${error.message}\n`);
        resolve({ code: null, signal: null });
      });
    });
    return new WslInstance(child, exited, this.distribution);
  }
}

class WslInstance implements VmInstance {
  readonly accelerator = 'wsl2';
  readonly shareMounts = [];
  private readonly channel: Duplex;

  constructor(
    private readonly child: ChildProcess,
    readonly exited: Promise<VmExit>,
    private readonly distribution: string,
  ) {
    if (!child.stdout || !child.stdin) throw new VmLaunchError('wsl.exe was started without pipes');
    this.channel = Duplex.from({ readable: child.stdout, writable: child.stdin });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async agentChannel(): Promise<Duplex> {
    return this.channel;
  }

  connectEngine(): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: GUEST_ENGINE_PORT, allowHalfOpen: true });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  setGuestAddress(): void {
    // WSL2 forwards the guest's loopback ports itself; the address is not needed.
  }

  async forwardPort(forward: PortForward): Promise<void> {
    // WSL2's localhost forwarding already publishes every port the guest listens on to Windows'
    // 127.0.0.1; only the address choice differs, and WSL2 has no other.
    if (forward.hostIp !== '127.0.0.1')
      throw new VmLaunchError(`WSL2 publishes on 127.0.0.1 only, not ${forward.hostIp}`);
  }

  async unforwardPort(): Promise<void> {
    // The forward disappears with the guest's listener.
  }

  async hardStop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await runWsl(wslTerminateCommand(this.distribution)).catch(() => this.child.kill('SIGKILL'));
    await this.exited;
  }
}
