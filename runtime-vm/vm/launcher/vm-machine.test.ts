import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { LineSplitter, type GuestMessage, type HostRequest } from '../guest/protocol';
import { VmMachine, type VmState, type VmTiming } from './vm-machine';
import type {
  PortForward,
  ShareMount,
  VmDriver,
  VmExit,
  VmInstance,
  VmLaunchSpec,
} from './vm-driver';

/** Two connected in-memory streams, like the two ends of a socket. */
function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (index: number): Duplex =>
    new Duplex({
      read() {},
      write(chunk, _encoding, callback) {
        ends[1 - index]?.push(chunk);
        callback();
      },
      final(callback) {
        ends[1 - index]?.push(null);
        callback();
      },
    });
  ends.push(make(0), make(1));
  return [ends[0] as Duplex, ends[1] as Duplex];
}

/** Plays the guest agent on the far end of the control channel. */
class FakeGuest {
  readonly requests: HostRequest[] = [];
  answerShutdown = true;
  private readonly splitter = new LineSplitter();

  constructor(
    private readonly end: Duplex,
    private readonly onShutdown: () => void,
  ) {
    end.on('data', (chunk: Buffer) => {
      for (const line of this.splitter.push(chunk.toString())) {
        const request = JSON.parse(line) as HostRequest;
        this.requests.push(request);
        if (request.type === 'shutdown' && !this.answerShutdown) continue;
        this.send({ type: 'reply', id: request.id, ok: true });
        if (request.type === 'shutdown') setTimeout(this.onShutdown, 5);
      }
    });
  }

  send(message: GuestMessage): void {
    this.end.write(JSON.stringify(message) + '\n');
  }

  boot(): void {
    this.send({
      type: 'hello',
      agentVersion: '1',
      kernelRelease: '6.1',
      bootTimes: {
        stage1StartS: 0.9,
        switchRootS: 1.1,
        initDoneS: 1.2,
        agentStartS: 1.6,
        agentNodeStartupS: 0.3,
      },
    });
    this.send({ type: 'network', address: '10.0.2.15' });
    this.send({ type: 'berthd-ready', uptimeS: 3.5, pid: 42 });
  }
}

class FakeInstance implements VmInstance {
  readonly pid = 1234;
  readonly accelerator = 'tcg';
  readonly exited: Promise<VmExit>;
  readonly forwards: PortForward[] = [];
  readonly guest: FakeGuest;
  hardStops = 0;
  guestAddress = '';
  private exit!: (exit: VmExit) => void;
  private readonly hostEnd: Duplex;

  constructor(readonly shareMounts: ShareMount[]) {
    this.exited = new Promise((resolve) => {
      this.exit = resolve;
    });
    const [hostEnd, guestEnd] = duplexPair();
    this.hostEnd = hostEnd;
    this.guest = new FakeGuest(guestEnd, () => this.exit({ code: 0, signal: null }));
  }

  crash(): void {
    this.exit({ code: null, signal: 'SIGSEGV' });
  }

  agentChannel(): Promise<Duplex> {
    return Promise.resolve(this.hostEnd);
  }

  connectEngine(): Promise<Duplex> {
    return Promise.reject(new Error('the fake VM has no engine'));
  }

  setGuestAddress(address: string): void {
    this.guestAddress = address;
  }

  async forwardPort(forward: PortForward): Promise<void> {
    this.forwards.push(forward);
  }

  async unforwardPort(forward: PortForward): Promise<void> {
    const index = this.forwards.findIndex((f) => f.hostPort === forward.hostPort);
    this.forwards.splice(index, 1);
  }

  async hardStop(): Promise<void> {
    this.hardStops += 1;
    this.exit({ code: null, signal: 'SIGKILL' });
  }
}

class FakeDriver implements VmDriver {
  readonly kind = 'qemu';
  readonly launches: VmLaunchSpec[] = [];
  readonly instances: FakeInstance[] = [];
  /** What each new guest does once launched. */
  behaviour: (instance: FakeInstance) => void = (instance) =>
    setTimeout(() => instance.guest.boot(), 5);

  async launch(spec: VmLaunchSpec): Promise<VmInstance> {
    this.launches.push(spec);
    const instance = new FakeInstance(
      spec.shares.map((path, i) => ({ tag: `berth${i}`, path, fsType: 'virtiofs' })),
    );
    this.instances.push(instance);
    this.behaviour(instance);
    return instance;
  }
}

const fastTiming: Partial<VmTiming> = {
  readyTimeoutMs: 2000,
  heartbeatTimeoutMs: 80,
  shutdownTimeoutMs: 200,
  restart: { initialMs: 10, maxMs: 40, healthyAfterMs: 60_000, maxAttempts: 3 },
};

const dirs: string[] = [];
const machines: VmMachine[] = [];
afterEach(async () => {
  for (const machine of machines.splice(0)) await machine.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setUp(
  driver = new FakeDriver(),
  shares: string[] = [],
): { machine: VmMachine; driver: FakeDriver; states: VmState[] } {
  const stateDir = mkdtempSync(join(tmpdir(), 'berth-vm-machine-'));
  dirs.push(stateDir);
  const machine = new VmMachine({
    driver,
    image: async () => ({ kernel: 'k', initramfs: 'i', rootDisk: 'r', cmdline: [] }),
    stateDir,
    hostSocketPath: join(stateDir, 'engine.sock'),
    shares,
    timing: fastTiming,
    pingEngine: async () => true,
  });
  machines.push(machine);
  const states: VmState[] = [];
  machine.on('state', (state) => states.push(state));
  return { machine, driver, states };
}

const waitFor = async (condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('VmMachine', () => {
  it('is running once the agent said hello, shares are mounted and berthd is ready', async () => {
    const { machine, driver, states } = setUp(undefined, ['/home/me/src']);
    await machine.start();
    expect(states).toEqual(['starting', 'running']);
    const instance = driver.instances[0] as FakeInstance;
    expect(instance.guest.requests).toEqual([
      { type: 'mount-share', id: 1, tag: 'berth0', path: '/home/me/src', fsType: 'virtiofs' },
    ]);
    expect(instance.guestAddress).toBe('10.0.2.15');
    expect(machine.bootReport).toMatchObject({
      accelerator: 'tcg',
      guest: { stage1StartS: 0.9, agentStartS: 1.6, berthdReadyS: 3.5 },
    });
    expect(driver.launches[0]?.settings).toEqual({ cpus: 2, memoryMiB: 2048, diskGiB: 32 });
  });

  it('turns degraded without heartbeats or berthd, and running again when they come back', async () => {
    const { machine, driver, states } = setUp();
    await machine.start();
    const guest = (driver.instances[0] as FakeInstance).guest;
    await waitFor(() => machine.state === 'degraded', 'a missed heartbeat');
    guest.send({
      type: 'heartbeat',
      uptimeS: 9,
      memTotalKiB: 1,
      memAvailableKiB: 1,
      berthdRunning: true,
    });
    await waitFor(() => machine.state === 'running', 'the heartbeat');
    guest.send({ type: 'berthd-exit', code: 1, signal: null, restartInMs: 500 });
    await waitFor(() => machine.state === 'degraded', 'berthd exit');
    guest.send({ type: 'berthd-ready', uptimeS: 10, pid: 43 });
    await waitFor(() => machine.state === 'running', 'berthd ready');
    expect(states).toEqual(['starting', 'running', 'degraded', 'running', 'degraded', 'running']);
  });

  it('forwards what containers publish to 127.0.0.1 and drops what they stop publishing', async () => {
    const { machine, driver } = setUp();
    await machine.start();
    const instance = driver.instances[0] as FakeInstance;
    instance.guest.send({
      type: 'ports',
      ports: [
        { protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 },
        { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 9090 },
      ],
    });
    await waitFor(() => instance.forwards.length === 2, 'two forwards');
    expect(instance.forwards).toEqual([
      { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, guestPort: 8080 },
      { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 9090, guestPort: 9090 },
    ]);
    instance.guest.send({
      type: 'ports',
      ports: [{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 9090 }],
    });
    await waitFor(() => instance.forwards.length === 1, 'one forward left');
    expect(instance.forwards[0]?.hostPort).toBe(9090);
    await machine.forwardPort(5000, 80);
    expect(instance.forwards[1]).toEqual({
      protocol: 'tcp',
      hostIp: '127.0.0.1',
      hostPort: 5000,
      guestPort: 80,
    });
  });

  it('stops through the agent, and hard when the agent does not answer', async () => {
    const { machine, driver, states } = setUp();
    await machine.start();
    await machine.stop();
    expect(driver.instances[0]?.guest.requests.map((r) => r.type)).toEqual(['shutdown']);
    expect(driver.instances[0]?.hardStops).toBe(0);
    expect(states.slice(-2)).toEqual(['stopping', 'stopped']);

    await machine.start();
    const second = driver.instances[1] as FakeInstance;
    second.guest.answerShutdown = false;
    await machine.stop();
    expect(second.hardStops).toBe(1);
    expect(machine.state).toBe('stopped');
  });

  it('restarts a VM that exits on its own, with backoff', async () => {
    const { machine, driver, states } = setUp();
    await machine.start();
    (driver.instances[0] as FakeInstance).crash();
    await waitFor(
      () => driver.instances.length === 2 && machine.state === 'running',
      'the restart',
    );
    expect(states).toEqual(['starting', 'running', 'starting', 'running']);
  });

  it('gives up after the last attempt and says why', async () => {
    const driver = new FakeDriver();
    driver.behaviour = (instance) => setTimeout(() => instance.crash(), 5);
    const { machine, states } = setUp(driver);
    await expect(machine.start()).rejects.toThrow(/exited while starting \(SIGSEGV\)/);
    expect(driver.launches).toHaveLength(3);
    expect(machine.state).toBe('stopped');
    expect(states.at(-1)).toBe('stopped');
  });

  it('applies settings at the next start and says when a restart is needed', async () => {
    const { machine, driver } = setUp();
    expect(machine.updateSettings({ cpus: 4 }).restartNeeded).toBe(false);
    await machine.start();
    expect(driver.launches[0]?.settings.cpus).toBe(4);
    expect(machine.updateSettings({ memoryMiB: 4096 }).restartNeeded).toBe(true);
    expect(() => machine.updateSettings({ cpus: 0 })).toThrow(
      /cpus must be an integer from 1 to 64/,
    );
    await machine.stop();
    await machine.start();
    expect(driver.launches[1]?.settings).toEqual({ cpus: 4, memoryMiB: 4096, diskGiB: 32 });
  });
});
