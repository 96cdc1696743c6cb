// The bundled VM, booted for real under QEMU (TCG here: /dev/kvm on this kind of host cannot boot
// an ordinary kernel; BERTH_VM_ACCEL overrides). Builds the guest image (cached by its inputs in
// .vm-cache/), boots it, and drives berthd inside it with the docker CLI through the forwarded
// host socket: a container, a published port, a bind mount of a host folder, then a graceful
// stop and a second boot that still has the pulled image on its data disk.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGuestImage, type GuestImage } from '../../runtime-vm/vm/image/build-image';
import { QemuDriver } from '../../runtime-vm/vm/launcher/qemu/qemu-driver';
import {
  VmMachine,
  type HeartbeatInfo,
  type VmState,
} from '../../runtime-vm/vm/launcher/vm-machine';
import { DockerCli } from '../api/helpers/docker-cli';
import { busyboxImage } from '../fixtures/images';
import {
  freeLoopbackPort,
  startRegistryWithFixtures,
  type TestRegistry,
} from '../fixtures/registry';

let image: GuestImage;
let registry: TestRegistry;
let machine: VmMachine;
let cli: DockerCli;
let stateDir: string;
let sharedDir: string;
let busybox: string;
const states: VmState[] = [];
const warnings: string[] = [];
let lastHeartbeat: HeartbeatInfo | undefined;

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', reject);
    req.end();
  });
}

function consoleTail(): string {
  try {
    return readFileSync(machine.consoleLogPath, 'utf8').split('\n').slice(-40).join('\n');
  } catch (error) {
    return `(no console log: ${(error as Error).message})`;
  }
}

function pingHostSocket(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/_ping' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.once('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const started = Date.now();
  // BERTH_VM_BERTHD: a berthd bundle other than dist/berthd.mjs (the default `npm run build` makes).
  image = await buildGuestImage({
    berthdBundle: process.env.BERTH_VM_BERTHD,
    log: (line) => console.log(`[vm-image] ${line}`),
  });
  console.log(
    `[vm] image ${image.dir} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    image.manifest.sizes,
  );
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  // Under user-mode networking the guest reaches the host's loopback at 10.0.2.2.
  const registryFromGuest = registry.host.replace('127.0.0.1', '10.0.2.2');
  busybox = `${registryFromGuest}/berth-test/busybox:latest`;
  stateDir = mkdtempSync(join(tmpdir(), 'berth-vm-'));
  sharedDir = mkdtempSync(join(tmpdir(), 'berth-vm-share-'));
  machine = new VmMachine({
    driver: new QemuDriver({
      accelOverride: process.env.BERTH_VM_ACCEL ?? 'tcg',
      warn: (m) => warnings.push(m),
    }),
    image: async () => ({ ...image, cmdline: image.manifest.cmdline }),
    stateDir,
    hostSocketPath: join(stateDir, 'engine.sock'),
    shares: [sharedDir],
    berthdArgs: ['--insecure-registry', registryFromGuest],
    // One attempt: a boot that fails here should fail the test with its console, not retry.
    timing: {
      readyTimeoutMs: 180_000,
      restart: { initialMs: 1000, maxMs: 1000, healthyAfterMs: 60_000, maxAttempts: 1 },
    },
  });
  machine.updateSettings({ cpus: 2, memoryMiB: 1024, diskGiB: 8 });
  machine.on('state', (state) => states.push(state));
  machine.on('warning', (warning) => warnings.push(warning));
  machine.on('heartbeat', (heartbeat) => (lastHeartbeat = heartbeat));
  cli = new DockerCli(join(stateDir, 'engine.sock'));
});

afterAll(async () => {
  await machine?.stop();
  cli?.dispose();
  await registry?.stop();
  if (warnings.length > 0) console.log('[vm] warnings:', warnings);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  if (sharedDir) rmSync(sharedDir, { recursive: true, force: true });
});

describe('the bundled VM under QEMU', () => {
  it('boots to a berthd that answers /_ping through the forwarded host socket', async () => {
    const started = Date.now();
    await machine.start().catch((error: Error) => {
      // The guest's own words are in its console; the state folder goes away after the run.
      console.log('[vm] console log:\n' + consoleTail());
      throw error;
    });
    const coldBootMs = Date.now() - started;
    expect(machine.state).toBe('running');
    expect(await pingHostSocket(join(stateDir, 'engine.sock'))).toBe('200 OK');
    const report = machine.bootReport;
    expect(report?.guest.berthdReadyS).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const idleMiB = lastHeartbeat
      ? (lastHeartbeat.memTotalKiB - lastHeartbeat.memAvailableKiB) / 1024
      : undefined;
    console.log(
      '[vm] cold boot to /_ping',
      coldBootMs,
      'ms',
      JSON.stringify(report),
      'guest memory in use (MiB)',
      idleMiB,
    );
    expect(lastHeartbeat?.berthdRunning).toBe(true);
  });

  it("pulls from the host's loopback registry, which the guest reaches at 10.0.2.2", async () => {
    const pull = await cli.run(['pull', busybox], { timeoutMs: 180_000 });
    expect(pull.stderr).toBe('');
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${busybox}`);
  });

  it('runs a container: docker run --rm busybox echo hello', async () => {
    const result = await cli.run(['run', '--rm', busybox, 'echo', 'hello'], { timeoutMs: 180_000 });
    // All three at once, so a failure shows what the CLI said.
    expect(result).toEqual({ code: 0, stdout: 'hello\n', stderr: '' });
  });

  it('runs containers and execs with crun, plain and with exit codes', async () => {
    const info = await cli.run(['info', '--format', '{{.DefaultRuntime}}'], { timeoutMs: 60_000 });
    expect(info).toEqual({ code: 0, stdout: 'crun\n', stderr: '' });
    const name = 'vm-exec';
    const started = await cli.run(['run', '-d', '--name', name, busybox, 'sleep', '600'], {
      timeoutMs: 180_000,
    });
    expect(started.code, started.stderr).toBe(0);
    try {
      // Two in a row: berthd spawns the first, its warm shell (forked meanwhile) the second.
      for (const code of [3, 4]) {
        const exec = await cli.run(
          ['exec', name, 'sh', '-c', `echo out; echo err >&2; exit ${code}`],
          {
            timeoutMs: 120_000,
          },
        );
        expect(exec).toEqual({ code, stdout: 'out\n', stderr: 'err\n' });
      }
    } finally {
      await cli.run(['rm', '-f', name], { timeoutMs: 120_000 });
    }
  });

  it('publishes -p 127.0.0.1:PORT:80 on the host', async () => {
    const port = await freeLoopbackPort();
    const run = await cli.run(
      [
        'run',
        '-d',
        '--name',
        'web',
        '-p',
        `127.0.0.1:${port}:80`,
        busybox,
        'sh',
        '-c',
        'mkdir -p /www && echo hi-from-the-vm > /www/index.html && exec httpd -f -p 80 -h /www',
      ],
      { timeoutMs: 120_000 },
    );
    expect(run.stderr).toBe('');
    let response: { status: number; body: string } | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      response = await httpGet(`http://127.0.0.1:${port}/`).catch(() => undefined);
      if (response?.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(response).toEqual({ status: 200, body: 'hi-from-the-vm\n' });
    expect((await cli.run(['rm', '-f', 'web'])).code).toBe(0);
  });

  it('bind-mounts a host folder at the same path: written in the container, read on the host', async () => {
    writeFileSync(join(sharedDir, 'from-host.txt'), 'made on the host\n');
    // Detached and waited for, so the check is the mount itself, not the attach stream.
    const run = await cli.run(
      [
        'run',
        '-d',
        '-v',
        `${sharedDir}:/data`,
        busybox,
        'sh',
        '-c',
        'cp /data/from-host.txt /data/copied-in-the-vm.txt && echo written-in-the-vm > /data/from-vm.txt',
      ],
      { timeoutMs: 120_000 },
    );
    expect(run.stderr).toBe('');
    const id = run.stdout.trim();
    expect((await cli.run(['wait', id], { timeoutMs: 120_000 })).stdout.trim()).toBe('0');
    expect(readFileSync(join(sharedDir, 'copied-in-the-vm.txt'), 'utf8')).toBe(
      'made on the host\n',
    );
    expect(readFileSync(join(sharedDir, 'from-vm.txt'), 'utf8')).toBe('written-in-the-vm\n');
    expect((await cli.run(['rm', id])).code).toBe(0);
  });

  it('stops gracefully and boots again with the image still on the data disk', async () => {
    await machine.stop();
    expect(states.slice(-2)).toEqual(['stopping', 'stopped']);
    expect(warnings.filter((w) => w.includes('graceful shutdown failed'))).toEqual([]);
    await machine.start();
    const images = await cli.run(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(images.stdout).toContain(busybox);
  });
});
