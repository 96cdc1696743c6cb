// The guest agent (PID 2, under tini): brings the guest up, runs berthd, and is the host
// launcher's only contact inside the VM. It reports hello → berthd-ready, then a heartbeat, and
// answers shutdown, clock sync and folder-share requests.
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import {
  AGENT_PORT_NAME,
  DATA_DISK_SERIAL,
  GUEST_BERTHD_SOCKET,
  GUEST_DATA_ROOT,
  GUEST_ENGINE_PORT,
  VSOCK_AGENT_PORT,
  decodeBerthdArgs,
  type HostRequest,
  type PublishedPort,
} from '../protocol';
import { BerthdSupervisor } from './berthd-supervisor';
import {
  StreamChannel,
  VirtioPortChannel,
  findVirtioPort,
  openVsockChannel,
  type ControlChannel,
} from './control-channel';
import { prepareDataDisk } from './data-disk';
import { networkModeFromCmdline, setUpNetwork } from './network';
import { PortWatcher } from './port-watcher';
import { run } from './run';
import { TcpRelay } from './tcp-relay';

const AGENT_VERSION = '1';
const HEARTBEAT_MS = 2000;

async function uptimeSeconds(): Promise<number> {
  return Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
}

const agentStartS = await uptimeSeconds();
const agentNodeStartupS = process.uptime();
const log = (line: string): void => {
  process.stderr.write(`berth-agent: ${line}\n`);
};
// The channel is virtio (QEMU, default), stdio (WSL2) or vsock (vfkit): from --channel=, else
// from the kernel command line's berth.channel=. --no-system-setup when the platform owns
// networking and storage (WSL2), which also passes berth.berthd= as an argument.
const flags = new Set(process.argv.slice(2));
const cmdline = await readFile('/proc/cmdline', 'utf8');
const channelKind =
  [...flags].find((f) => f.startsWith('--channel='))?.slice('--channel='.length) ??
  /(?:^|\s)berth\.channel=(\S+)/.exec(cmdline)?.[1] ??
  'virtio';
const manageSystem = !flags.has('--no-system-setup');

async function openChannel(): Promise<ControlChannel> {
  if (channelKind === 'stdio') return new StreamChannel(process.stdin, process.stdout, log);
  if (channelKind === 'vsock') {
    // No udev to load the transport when the device appears.
    await run('modprobe', ['vmw_vsock_virtio_transport']);
    // berthd's API over vsock too: vfkit maps a host unix socket onto this guest port.
    const engine = spawn(
      'socat',
      [`VSOCK-LISTEN:${GUEST_ENGINE_PORT},reuseaddr,fork`, `UNIX-CONNECT:${GUEST_BERTHD_SOCKET}`],
      {
        stdio: 'inherit',
      },
    );
    engine.once('exit', (code) => log(`vsock engine relay exited (${code})`));
    return openVsockChannel(VSOCK_AGENT_PORT, log);
  }
  if (channelKind !== 'virtio')
    throw new Error(`--channel=${channelKind}: expected virtio, stdio or vsock`);
  return VirtioPortChannel.open(await findVirtioPort(AGENT_PORT_NAME), log);
}

async function readMemInfo(): Promise<{ total: number; available: number }> {
  const text = await readFile('/proc/meminfo', 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { total: field('MemTotal'), available: field('MemAvailable') };
}

await mkdir('/run/berth-agent', { recursive: true });
const channelReady = openChannel();
const networkReady = manageSystem
  ? setUpNetwork(networkModeFromCmdline(cmdline))
  : Promise.resolve({ address: '127.0.0.1' });
const diskReady = manageSystem
  ? prepareDataDisk(DATA_DISK_SERIAL, GUEST_DATA_ROOT)
  : Promise.resolve(undefined);

const channel = await channelReady;
channel.send({
  type: 'hello',
  agentVersion: AGENT_VERSION,
  kernelRelease: release(),
  bootTimes: {
    stage1StartS: Number(process.env.BERTH_STAGE1_START_S ?? 0),
    switchRootS: Number(process.env.BERTH_SWITCH_ROOT_S ?? 0),
    initDoneS: Number(process.env.BERTH_INIT_DONE_S ?? 0),
    mkfsS: Number(process.env.BERTH_MKFS_TO_S ?? 0) - Number(process.env.BERTH_MKFS_FROM_S ?? 0),
    berthdLaunchS: Number(process.env.BERTH_BERTHD_LAUNCH_S ?? 0),
    agentStartS,
    agentNodeStartupS,
  },
});

const disk = await diskReady;
if (disk)
  log(`data disk ${disk.device}${disk.formatted ? ' formatted' : ''}${disk.grown ? ' grown' : ''}`);

// Ports published on the guest's loopback get a relay from the guest address, where hostfwd
// delivers; ports on 0.0.0.0 are reachable there already.
const loopbackRelays = new Map<number, TcpRelay>();
async function followPorts(ports: PublishedPort[]): Promise<void> {
  const { address } = await networkReady;
  channel.send({ type: 'network', address });
  const wanted = new Set(
    ports.filter((p) => p.protocol === 'tcp' && p.hostIp === '127.0.0.1').map((p) => p.hostPort),
  );
  for (const [port, relay] of loopbackRelays) {
    if (!wanted.has(port)) {
      loopbackRelays.delete(port);
      await relay.close();
    }
  }
  for (const port of wanted) {
    if (loopbackRelays.has(port)) continue;
    const relay = new TcpRelay({ host: '127.0.0.1', port });
    loopbackRelays.set(port, relay);
    await relay
      .listen(port, address)
      .catch((error: Error) => log(`relay for port ${port}: ${error.message}`));
  }
}
const portWatcher = new PortWatcher(
  GUEST_BERTHD_SOCKET,
  (ports) => {
    void followPorts(ports).finally(() => channel.send({ type: 'ports', ports }));
  },
  log,
);

const supervisor = new BerthdSupervisor(
  {
    node: process.execPath,
    script: '/opt/berth/berthd.mjs',
    args: decodeBerthdArgs([cmdline, ...process.argv.slice(2)].join(' ')),
    socketPath: GUEST_BERTHD_SOCKET,
  },
  {
    ready: (pid) => {
      void uptimeSeconds().then((uptimeS) => channel.send({ type: 'berthd-ready', uptimeS, pid }));
      portWatcher.start();
    },
    exited: (code, signal, restartInMs) =>
      channel.send({ type: 'berthd-exit', code, signal, restartInMs }),
  },
  log,
);
// berth-init starts berthd early and leaves its pid; no file means init could not.
const initStartedPid = await readFile('/run/berth-agent/berthd.pid', 'utf8').then(
  (text) => Number(text.trim()),
  () => undefined,
);
if (initStartedPid) supervisor.adopt(initStartedPid, Date.now());
else supervisor.start();

const { address } = await networkReady;
channel.send({ type: 'network', address });
const engineRelay = new TcpRelay({ path: GUEST_BERTHD_SOCKET });
await engineRelay.listen(GUEST_ENGINE_PORT, '0.0.0.0');

const heartbeat = setInterval(() => {
  void Promise.all([uptimeSeconds(), readMemInfo()]).then(([uptimeS, mem]) =>
    channel.send({
      type: 'heartbeat',
      uptimeS,
      memTotalKiB: mem.total,
      memAvailableKiB: mem.available,
      berthdRunning: supervisor.running,
    }),
  );
}, HEARTBEAT_MS);

async function shutDown(): Promise<void> {
  clearInterval(heartbeat);
  portWatcher.stop();
  await supervisor.stop(10_000);
  // Everything else (conmon, containers) gets SIGTERM and a moment, as a normal shutdown would.
  try {
    process.kill(-1, 'SIGTERM');
  } catch (error) {
    log(`signalling processes: ${(error as Error).message}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await run('sync', []);
  if (disk) await run('umount', [GUEST_DATA_ROOT]).catch((error: Error) => log(error.message));
}

async function handle(request: HostRequest): Promise<void> {
  switch (request.type) {
    case 'shutdown':
      await shutDown();
      channel.send({ type: 'reply', id: request.id, ok: true });
      // Let the reply reach the host before the power goes.
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (manageSystem) await run('busybox', ['poweroff', '-f']);
      else process.exit(0);
      return;
    case 'sync-clock':
      await run('date', ['-u', '-s', `@${(request.epochMs / 1000).toFixed(3)}`]);
      break;
    case 'mount-share':
      log(`mounting ${request.fsType} ${request.tag} at ${request.path}`);
      await mkdir(request.path, { recursive: true });
      await run(
        'mount',
        request.fsType === 'virtiofs'
          ? ['-t', 'virtiofs', request.tag, request.path]
          : [
              '-t',
              '9p',
              '-o',
              'trans=virtio,version=9p2000.L,msize=262144',
              request.tag,
              request.path,
            ],
      );
      break;
  }
  channel.send({ type: 'reply', id: request.id, ok: true });
}

channel.onRequest((request) => {
  handle(request).catch((error: Error) => {
    log(`${request.type}: ${error.message}`);
    channel.send({ type: 'reply', id: request.id, ok: false, error: error.message });
  });
});
log(`up: ${address}, engine relay on :${GUEST_ENGINE_PORT}`);
