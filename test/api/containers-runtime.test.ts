// The container service against real conmon + runc + overlayfs (root required), without the
// HTTP server: lifecycle, isolation seen from inside, limits, restart policies, OOM, and
// re-adoption by a second service instance after the first one "died".
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CgroupReader } from '../../runtime-vm/daemon/drivers/cgroups/cgroup-reader';
import { InvalidArgumentError } from '../../runtime-vm/daemon/errors';
import { silentLogger } from '../../runtime-vm/daemon/logger';
import { EventBus, type EngineEvent } from '../../runtime-vm/daemon/services/events';
import {
  ContainerService,
  type ContainerImages,
} from '../../runtime-vm/daemon/services/containers/container-service';
import type { CreateRequest } from '../../runtime-vm/daemon/services/containers/types';
import { VolumeService } from '../../runtime-vm/daemon/services/volumes/volume-service';
import { eventually } from './helpers/eventually';

const root = mkdtempSync('/tmp/bct-');
const layer = join(root, 'layer');
const dataRoot = join(root, 'data');
const execRoot = join(root, 'run');

/** A one-layer busybox image: the static binary plus its applet links, passwd and group. */
function buildBusyboxLayer(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'etc'));
  mkdirSync(join(dir, 'tmp'), { mode: 0o1777 });
  chmodSync(join(dir, 'tmp'), 0o1777);
  execFileSync('cp', ['/bin/busybox', join(dir, 'bin', 'busybox')]);
  execFileSync('chroot', [dir, '/bin/busybox', '--install', '-s', '/bin']);
  writeFileSync(
    join(dir, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
  );
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nwheel:x:10:root\nnogroup:x:65534:\n');
}

const images: ContainerImages = {
  resolveForContainer: async (ref) => {
    if (ref.startsWith('missing')) {
      const { NotFoundError } = await import('../../runtime-vm/daemon/errors');
      throw new NotFoundError(`No such image: ${ref}`);
    }
    return {
      id: `sha256:${'b'.repeat(64)}`,
      name: ref,
      config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
      layerPaths: [layer],
    };
  },
};

const events = new EventBus();
const seen: EngineEvent[] = [];
events.subscribe((event) => seen.push(event));
let service: ContainerService;

function newService(): ContainerService {
  return new ContainerService({ dataRoot, execRoot, images, events, logger: silentLogger });
}

async function run(
  request: CreateRequest,
  name?: string,
): Promise<{ id: string; code: number; log: string }> {
  const { Id } = await service.create(request, name);
  const wait = service.beginWait(Id, 'next-exit');
  await service.start(Id);
  const { StatusCode } = await wait;
  return { id: Id, code: StatusCode, log: logText(Id) };
}

function logText(id: string): string {
  const path = join(dataRoot, 'containers', id, 'container.log');
  if (!existsSync(path)) return '';
  // k8s-file: "<time> <stream> <F|P> <text>"
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ').slice(3).join(' '))
    .join('\n');
}

async function inspect(
  id: string,
): Promise<{ State: Record<string, unknown>; RestartCount: number; Name: string }> {
  return (await service.inspect(id)) as never;
}

const runcRoot = join(execRoot, 'runc');
const runcIds = () => {
  const out = execFileSync('runc', [`--root=${runcRoot}`, 'list', '-q'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
};
const ourMounts = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(root));

beforeAll(async () => {
  buildBusyboxLayer(layer);
  service = newService();
  await service.init();
});

afterAll(async () => {
  for (const summary of (await service.list({
    all: true,
    limit: -1,
    size: false,
    filters: new Map(),
  })) as { Id: string }[]) {
    await service.remove(summary.Id, { force: true });
  }
  service.close();
  // Auto-removals finish their unmounts in the background.
  await vi.waitFor(() => expect(ourMounts()).toEqual([]));
  // runc forgets exited containers in the background, off the exit's critical path.
  await vi.waitFor(() => expect(runcIds()).toEqual([]));
  rmSync(root, { recursive: true, force: true });
  // The shared /berth parent cgroup goes when no container of anyone's is left in it.
  for (const controller of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', controller, 'berth');
    try {
      if (existsSync(dir)) rmdirSync(dir);
    } catch {
      // Still in use by another test's containers.
    }
  }
});

describe('lifecycle on real runc', () => {
  it('runs a command to completion and reports its exit code and events', async () => {
    const before = seen.length;
    const { id, code, log } = await run({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'echo hello; exit 3'],
    });
    expect(code).toBe(3);
    expect(log).toBe('hello');
    const state = (await inspect(id)).State;
    expect(state).toMatchObject({ Status: 'exited', ExitCode: 3, Running: false, Pid: 0 });
    const actions = seen
      .slice(before)
      .filter((e) => e.Actor.ID === id)
      .map((e) => e.Action);
    expect(actions).toEqual(['create', 'start', 'die']);
    // The exit is reported first; the unmount and the runc delete follow in the background.
    await vi.waitFor(() => expect(ourMounts()).toEqual([]));
    await vi.waitFor(() => expect(runcIds()).toEqual([]));
    await service.remove(id);
  });

  it('start hooks run with the attach socket up and before the process runs', async () => {
    const { Id } = await service.create({ Image: 'busybox', Cmd: ['echo', 'early'] });
    const seenByHook: { socket: boolean; log: string }[] = [];
    service.onNextStart(Id, async () => {
      seenByHook.push({
        socket: existsSync(service.runtimeInfo(Id).attachSocketPath),
        log: logText(Id),
      });
    });
    const wait = service.beginWait(Id, 'next-exit');
    await service.start(Id);
    await wait;
    expect(seenByHook).toEqual([{ socket: true, log: '' }]);
    expect(logText(Id)).toBe('early');
    await service.remove(Id);
  });

  it('isolates the process the way Docker does', async () => {
    const script = [
      'echo pid=$$',
      'hostname',
      'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max',
      'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max',
      'ls /sys/class/net',
      'id',
      '(echo x > /proc/sys/kernel/domainname) 2>&1 | grep -o "Read-only file system"',
      'test -s /proc/kcore || echo kcore-masked',
    ].join('; ');
    const { id, code, log } = await run(
      {
        Image: 'busybox',
        Hostname: 'inside',
        Cmd: ['sh', '-c', script],
        HostConfig: { Memory: 64 * 1024 * 1024, PidsLimit: 20, SecurityOpt: ['no-new-privileges'] },
      },
      'isolated',
    );
    expect(code).toBe(0);
    const lines = log.split('\n');
    expect(lines[0]).toBe('pid=1');
    expect(lines[1]).toBe('inside');
    expect(log).toContain('CapEff:\t00000000a80425fb');
    expect(log).toContain('Seccomp:\t2');
    expect(log).toContain('NoNewPrivs:\t1');
    expect(log).toContain(String(64 * 1024 * 1024));
    expect(lines).toContain('20');
    expect(lines).toContain('lo');
    expect(log).toContain('uid=0(root) gid=0(root) groups=0(root),10(wheel)');
    expect(lines).toContain('Read-only file system');
    expect(lines).toContain('kcore-masked');
    await service.remove(id);
  });

  it('runs as --user and with a read-only root filesystem', async () => {
    const { id, code, log } = await run({
      Image: 'busybox',
      User: 'nobody',
      Cmd: [
        'sh',
        '-c',
        'id -u; touch /x 2>&1 | grep -o "Read-only file system"; echo done > /tmp/ok && cat /tmp/ok',
      ],
      HostConfig: { ReadonlyRootfs: true, Tmpfs: { '/tmp': 'mode=1777' } },
    });
    expect(code).toBe(0);
    expect(log.split('\n')).toEqual(['65534', 'Read-only file system', 'done']);
    await service.remove(id);
  });

  it('--init puts tini at pid 1', async () => {
    const { id, log } = await run({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "'],
      HostConfig: { Init: true },
    });
    expect(log).toContain('/sbin/docker-init -- sh -c');
    await service.remove(id);
  });

  it('a missing executable fails start with the runtime message and leaves nothing behind', async () => {
    const { Id } = await service.create({ Image: 'busybox', Cmd: ['/no/such/binary'] });
    const error = await service.start(Id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/no such file or directory|executable file not found/);
    expect((await inspect(Id)).State).toMatchObject({
      Status: 'created',
      ExitCode: 127,
      Running: false,
    });
    expect(runcIds()).toEqual([]);
    expect(ourMounts()).toEqual([]);
    await service.remove(Id);
  });

  it('stop escalates to SIGKILL after the timeout; stop of a stopped container is 304', async () => {
    const { Id } = await service.create({ Image: 'busybox', Cmd: ['sleep', '60'] });
    await service.start(Id);
    expect((await inspect(Id)).State).toMatchObject({ Status: 'running', Running: true });
    await service.stop(Id, { timeout: 1 });
    expect((await inspect(Id)).State).toMatchObject({ Status: 'exited', ExitCode: 137 });
    await expect(service.stop(Id)).rejects.toThrow('container already stopped');
    await service.remove(Id);
  });

  it('pause freezes and unpause thaws; remove of a running container needs force', async () => {
    const { Id } = await service.create({ Image: 'busybox', Cmd: ['sleep', '60'] }, 'pausable');
    await service.start(Id);
    await service.pause(Id);
    expect((await inspect(Id)).State).toMatchObject({ Status: 'paused', Paused: true });
    await expect(service.pause(Id)).rejects.toThrow('is already paused');
    await service.unpause(Id);
    expect((await inspect(Id)).State).toMatchObject({ Status: 'running', Paused: false });
    await expect(service.remove('pausable')).rejects.toThrow('container is running');
    await service.remove('pausable', { force: true });
    await expect(service.inspect(Id)).rejects.toThrow(`No such container: ${Id}`);
  });

  it('the cgroup reader sees the running container', async () => {
    const { Id } = await service.create({
      Image: 'busybox',
      Cmd: ['sleep', '60'],
      HostConfig: { Memory: 32 * 1024 * 1024, PidsLimit: 10 },
    });
    await service.start(Id);
    const { cgroupPath } = service.runtimeInfo(Id);
    const stats = await new CgroupReader().read(cgroupPath);
    expect(stats.memory.limit).toBe(32 * 1024 * 1024);
    expect(stats.memory.usage).toBeGreaterThan(0);
    // Right after the start the runtime's exiting helper can still be counted (once seen in CI).
    await expect
      .poll(async () => (await new CgroupReader().read(cgroupPath)).pids, { timeout: 2000 })
      .toEqual({ current: 1, limit: 10 });
    expect(stats.cpu.totalUsageNs).toBeGreaterThan(0);
    await service.remove(Id, { force: true });
    await expect(new CgroupReader().read(`/berth/${Id}`)).rejects.toThrow('does not exist');
  });

  it('update changes the cgroup limit of a running container', async () => {
    const { Id } = await service.create({
      Image: 'busybox',
      Cmd: ['sleep', '60'],
      HostConfig: { Memory: 32 * 1024 * 1024 },
    });
    await service.start(Id);
    await service.update(Id, { Memory: 48 * 1024 * 1024, MemorySwap: 96 * 1024 * 1024 });
    const limit = readFileSync(
      `/sys/fs/cgroup/memory/berth/${Id}/memory.limit_in_bytes`,
      'utf8',
    ).trim();
    expect(Number(limit)).toBe(48 * 1024 * 1024);
    await expect(service.update(Id, { Memory: 1 })).rejects.toThrow(
      'Minimum memory limit allowed is 6MB',
    );
    await service.remove(Id, { force: true });
  });

  it('on-failure restarts with backoff up to the retry count', async () => {
    const { Id } = await service.create({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'exit 2'],
      HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } },
    });
    await service.start(Id);
    for (let i = 0; i < 100; i++) {
      const info = await inspect(Id);
      if (info.RestartCount === 2 && info.State['Status'] === 'exited') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const info = await inspect(Id);
    expect(info.RestartCount).toBe(2);
    expect(info.State).toMatchObject({ Status: 'exited', ExitCode: 2, Restarting: false });
    await service.remove(Id);
  });

  it('AutoRemove removes the container after it exits; removed waiters see the exit code', async () => {
    const { Id } = await service.create({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'exit 4'],
      HostConfig: { AutoRemove: true },
    });
    const removed = service.beginWait(Id, 'removed');
    await service.start(Id);
    expect(await removed).toEqual({ StatusCode: 4, Error: null });
    await expect(service.inspect(Id)).rejects.toThrow('No such container');
    // The directories go after the answer, in the background.
    await eventually(
      () => !existsSync(join(dataRoot, 'containers', Id)),
      'the auto-removed container directory is gone',
    );
  });

  it('an OOM kill is reported as OOMKilled with exit code 137', async () => {
    const { id, code } = await run({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'x=0123456789abcdef; while true; do x=$x$x; done'],
      HostConfig: { Memory: 8 * 1024 * 1024, MemorySwap: 8 * 1024 * 1024 },
    });
    expect(code).toBe(137);
    expect((await inspect(id)).State).toMatchObject({ OOMKilled: true, ExitCode: 137 });
    expect(seen.some((e) => e.Actor.ID === id && e.Action === 'oom')).toBe(true);
    await service.remove(id);
  });

  it('health checks run inside the container and report healthy, then unhealthy', async () => {
    const ms = 1_000_000;
    const { Id } = await service.create({
      Image: 'busybox',
      // Healthy at first; the check starts failing once the container removes its marker.
      Cmd: ['sh', '-c', 'touch /tmp/ok; sleep 2; rm /tmp/ok; sleep 60'],
      Healthcheck: {
        Test: ['CMD-SHELL', 'test -f /tmp/ok'],
        Interval: 200 * ms,
        Timeout: 2000 * ms,
        Retries: 1,
      },
    });
    await service.start(Id);
    const status = async () =>
      ((await inspect(Id)).State['Health'] as { Status: string } | undefined)?.Status;
    const waitFor = async (wanted: string) => {
      for (let i = 0; i < 100 && (await status()) !== wanted; i++)
        await new Promise((r) => setTimeout(r, 100));
      return status();
    };
    expect(await waitFor('healthy')).toBe('healthy');
    expect(await waitFor('unhealthy')).toBe('unhealthy');
    const actions = () => seen.filter((e) => e.Actor.ID === Id).map((e) => e.Action);
    // The event follows the state once it is on disk.
    for (let i = 0; i < 50 && !actions().includes('health_status: unhealthy'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(actions()).toContain('health_status: healthy');
    expect(actions()).toContain('health_status: unhealthy');
    await service.remove(Id, { force: true });
  });

  it('names: generated, conflicts are 409, rename frees the old name', async () => {
    const { Id } = await service.create({ Image: 'busybox', Cmd: ['true'] }, 'first');
    await expect(service.create({ Image: 'busybox', Cmd: ['true'] }, '/first')).rejects.toThrow(
      'The container name "/first" is already in use',
    );
    await service.rename(Id, 'second');
    expect((await inspect(Id)).Name).toBe('/second');
    const again = await service.create({ Image: 'busybox', Cmd: ['true'] }, 'first');
    const generated = await service.create({ Image: 'busybox', Cmd: ['true'] });
    expect(((await inspect(generated.Id)) as { Name: string }).Name).toMatch(
      /^\/[a-z]+_[a-z]+\d?$/,
    );
    for (const id of [Id, again.Id, generated.Id]) await service.remove(id);
  });

  it('bad input is a 400 without leftovers; unknown images are 404', async () => {
    const count = readdirSync(join(dataRoot, 'containers')).length;
    await expect(
      service.create({ Image: 'busybox', Cmd: ['true'], HostConfig: { Memory: -1 } }),
    ).rejects.toThrow('Minimum memory limit');
    await expect(
      service.create({ Image: 'busybox', Cmd: ['true'], HostConfig: { CapAdd: ['FLY'] } }),
    ).rejects.toThrow('unknown capability');
    await expect(
      service.create({ Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: ['/x'] } }),
    ).rejects.toThrow('invalid volume specification');
    await expect(
      service.create({
        Image: 'busybox',
        Cmd: ['true'],
        HostConfig: { PortBindings: { '80/tcpx': [] } },
      }),
    ).rejects.toThrow('invalid port specification');
    await expect(service.create({ Image: 'missing:1', Cmd: ['true'] })).rejects.toThrow(
      'No such image: missing:1',
    );
    expect(readdirSync(join(dataRoot, 'containers')).length).toBe(count);
  });
});

describe('volumes through the volume service', () => {
  it('named volumes keep data, anonymous ones are reused on restart and removed with -v', async () => {
    const volumes = new VolumeService({ dataRoot: join(root, 'vol'), logger: silentLogger });
    await volumes.start();
    const withVolumes = new ContainerService({
      dataRoot: join(root, 'vdata'),
      execRoot: join(root, 'vrun'),
      images,
      events,
      logger: silentLogger,
      volumes,
    });
    await withVolumes.init();
    const runIn = async (request: CreateRequest) => {
      const { Id } = await withVolumes.create(request);
      const wait = withVolumes.beginWait(Id, 'next-exit');
      await withVolumes.start(Id);
      return { id: Id, code: (await wait).StatusCode };
    };
    try {
      const writer = await runIn({
        Image: 'busybox',
        Cmd: ['sh', '-c', 'echo kept > /data/file'],
        HostConfig: { Binds: ['shared:/data'] },
      });
      expect(writer.code).toBe(0);
      const reader = await runIn({
        Image: 'busybox',
        Cmd: ['grep', '-q', 'kept', '/data/file'],
        HostConfig: { Binds: ['shared:/data:ro'] },
      });
      expect(reader.code).toBe(0);

      const anon = await runIn({
        Image: 'busybox',
        Cmd: ['sh', '-c', 'test -f /cache/mark && exit 9; touch /cache/mark'],
        Volumes: { '/cache': {} },
      });
      expect(anon.code).toBe(0);
      const name = (
        (await withVolumes.inspect(anon.id)) as { Mounts: { Type: string; Name: string }[] }
      ).Mounts[0];
      expect(name).toMatchObject({ Type: 'volume' });
      const again = withVolumes.beginWait(anon.id, 'next-exit');
      await withVolumes.start(anon.id);
      expect((await again).StatusCode).toBe(9);
      await withVolumes.remove(anon.id, { volumes: true });
      expect(() => volumes.inspect(name?.Name ?? '')).toThrow();
      for (const id of [writer.id, reader.id]) await withVolumes.remove(id);
      expect(volumes.inspect('shared').Name).toBe('shared');
    } finally {
      withVolumes.close();
    }
  });
});

describe('live-restore', () => {
  it('a new daemon re-adopts running containers and records exits that happened meanwhile', async () => {
    const survivor = await service.create({ Image: 'busybox', Cmd: ['sleep', '60'] }, 'survivor');
    await service.start(survivor.Id);
    const pid = (await inspect(survivor.Id)).State['Pid'];
    const always = await service.create(
      { Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { RestartPolicy: { Name: 'always' } } },
      'always',
    );
    await service.start(always.Id);
    await service.stop(always.Id, { timeout: 0 });
    const shortLived = await service.create(
      { Image: 'busybox', Cmd: ['sh', '-c', 'sleep 1; exit 5'] },
      'short',
    );
    await service.start(shortLived.Id);
    // A create that crashed before writing its record.
    mkdirSync(join(dataRoot, 'containers', 'f'.repeat(64)));
    // The first daemon "dies": it stops watching but leaves every container running.
    service.close();
    await new Promise((r) => setTimeout(r, 1500));

    service = newService();
    await service.init();
    expect((await inspect(survivor.Id)).State).toMatchObject({
      Status: 'running',
      Running: true,
      Pid: pid,
    });
    expect((await inspect(shortLived.Id)).State).toMatchObject({ Status: 'exited', ExitCode: 5 });
    expect(existsSync(join(dataRoot, 'containers', 'f'.repeat(64)))).toBe(false);

    // dockerd brings a hand-stopped `always` container back when the daemon starts.
    expect((await inspect(always.Id)).State).toMatchObject({ Status: 'running' });
    await service.remove(always.Id, { force: true });

    // The adopted container's exit is still seen.
    await service.stop(survivor.Id, { timeout: 1 });
    expect((await inspect(survivor.Id)).State).toMatchObject({ Status: 'exited', ExitCode: 137 });
    await service.remove(survivor.Id);
    await service.remove(shortLived.Id);
  });
});
