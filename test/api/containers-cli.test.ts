// berthd's containers through the real docker CLI and dockerode: lifecycle, Status strings,
// isolation read from inside, limits, bad input, and a SIGKILL of berthd while containers run
// and while a create is in flight.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { engineRequest, type EngineReply } from './helpers/engine-request';

let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let image: string;

async function runToEnd(args: string[]): Promise<{ id: string; code: number; log: string }> {
  const id = (await cli.ok(['run', '-d', ...args])).trim();
  const code = Number((await cli.ok(['wait', id])).trim());
  return { id, code, log: berthd.containerOutput(id) };
}

function rawRequest(method: string, path: string, body?: object): Promise<EngineReply> {
  return engineRequest(berthd.socket, method, path, body);
}

beforeAll(async () => {
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  berthd = await startBerthd();
  cli = new DockerCli(berthd.socket);
  image = `${registry.host}/berth-test/busybox:latest`;
  await cli.ok(['pull', image]);
});

afterAll(async () => {
  if (cli && berthd) {
    const ids = (await cli.run(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await cli.run(['rm', '-f', ...ids]);
  }
  await berthd?.stop();
  cli?.dispose();
  await registry?.stop();
});

describe('docker CLI lifecycle', () => {
  it('run --rm true exits 0 and leaves nothing behind', async () => {
    const result = await cli.run(['run', '--rm', image, 'true']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect((await cli.ok(['ps', '-aq'])).trim()).toBe('');
  });

  it('run -d, ps, inspect, stop, rm', async () => {
    const id = (
      await cli.ok(['run', '-d', '--name', 'web1', '--label', 'tier=front', image, 'sleep', '300'])
    ).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = await cli.ok(['ps', '--format', '{{.ID}} {{.Names}} {{.Status}} {{.Command}}']);
    expect(ps).toMatch(
      new RegExp(
        `^${id.slice(0, 12)} web1 Up (Less than a second|\\d+ seconds?) "sleep 300"$`,
        'm',
      ),
    );
    const inspect = JSON.parse(await cli.ok(['inspect', 'web1']))[0];
    expect(inspect).toMatchObject({
      Id: id,
      Name: '/web1',
      Path: 'sleep',
      Args: ['300'],
      State: { Status: 'running', Running: true },
      Config: { Image: image, Labels: { tier: 'front' }, Cmd: ['sleep', '300'] },
      HostConfig: { NetworkMode: 'bridge', RestartPolicy: { Name: 'no' } },
    });
    expect(inspect.State.Pid).toBeGreaterThan(0);
    expect((await cli.ok(['ps', '--filter', 'label=tier=front', '-q'])).trim()).toBe(
      id.slice(0, 12),
    );
    const rmRunning = await cli.run(['rm', 'web1']);
    expect(rmRunning.code).not.toBe(0);
    expect(rmRunning.stderr).toContain('container is running');
    await cli.ok(['stop', '-t', '1', 'web1']);
    expect(await cli.ok(['ps', '-a', '--filter', 'name=web1', '--format', '{{.Status}}'])).toMatch(
      /^Exited \(137\) /,
    );
    await cli.ok(['rm', 'web1']);
    expect((await cli.run(['inspect', 'web1'])).stderr).toContain('No such object: web1');
  });

  it('restart, pause/unpause, rename, kill', async () => {
    await cli.ok(['run', '-d', '--name', 'cycle', image, 'sleep', '300']);
    await cli.ok(['pause', 'cycle']);
    expect(await cli.ok(['ps', '--filter', 'name=cycle', '--format', '{{.Status}}'])).toMatch(
      /\(Paused\)/,
    );
    await cli.ok(['unpause', 'cycle']);
    await cli.ok(['restart', '-t', '0', 'cycle']);
    await cli.ok(['rename', 'cycle', 'cycled']);
    expect(JSON.parse(await cli.ok(['inspect', 'cycled']))[0].State.Status).toBe('running');
    await cli.ok(['kill', 'cycled']);
    expect(Number((await cli.ok(['wait', 'cycled'])).trim())).toBe(137);
    const again = await cli.run(['kill', 'cycled']);
    expect(again.stderr).toContain('is not running');
    await cli.ok(['rm', 'cycled']);
  });

  it('exit codes, Status strings and prune', async () => {
    const { id, code } = await runToEnd([image, 'sh', '-c', 'exit 7']);
    expect(code).toBe(7);
    expect(
      (await cli.ok(['ps', '-a', '--filter', `id=${id}`, '--format', '{{.Status}}'])).trim(),
    ).toMatch(/^Exited \(7\) (Less than a second|\d+ seconds?) ago$/);
    const pruned = await cli.ok(['container', 'prune', '-f']);
    expect(pruned).toContain(id);
    expect((await cli.ok(['ps', '-aq'])).trim()).toBe('');
  });
});

describe('isolation and limits seen from inside', () => {
  it('pid 1, hostname, capabilities, seccomp, memory and pids limits', async () => {
    const script = [
      'echo pid=$$',
      'hostname',
      'grep -E "^(CapEff|Seccomp):" /proc/self/status',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max',
      'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max',
    ].join('; ');
    const { code, log } = await runToEnd([
      '--hostname',
      'boxed',
      '--memory',
      '64m',
      '--pids-limit',
      '30',
      image,
      'sh',
      '-c',
      script,
    ]);
    expect(code).toBe(0);
    const lines = log.split('\n');
    expect(lines.slice(0, 2)).toEqual(['pid=1', 'boxed']);
    expect(log).toContain('CapEff:\t00000000a80425fb');
    expect(log).toContain('Seccomp:\t2');
    expect(lines).toContain(String(64 * 1024 * 1024));
    expect(lines).toContain('30');
  });

  it('--cap-drop ALL, --privileged and --network none', async () => {
    const dropped = await runToEnd([
      '--cap-drop',
      'ALL',
      image,
      'grep',
      'CapEff',
      '/proc/self/status',
    ]);
    expect(dropped.log).toBe('CapEff:\t0000000000000000');
    const privileged = await runToEnd([
      '--privileged',
      image,
      'grep',
      'Seccomp:',
      '/proc/self/status',
    ]);
    expect(privileged.log).toBe('Seccomp:\t0');
    const none = await runToEnd(['--network', 'none', image, 'ls', '/sys/class/net']);
    expect(none.log).toBe('lo');
  });

  it('--network none has loopback up, and container:<none one> joins that same namespace', async () => {
    const id = (await cli.ok(['run', '-d', '--network', 'none', image, 'sleep', '60'])).trim();
    // IFF_UP | IFF_LOOPBACK
    expect((await cli.ok(['exec', id, 'cat', '/sys/class/net/lo/flags'])).trim()).toBe('0x9');
    const own = (await cli.ok(['exec', id, 'readlink', '/proc/self/ns/net'])).trim();
    expect(own).toMatch(/^net:\[\d+\]$/);
    expect(own).not.toBe(readlinkSync('/proc/self/ns/net'));
    const joined = await runToEnd([
      '--network',
      `container:${id}`,
      image,
      'readlink',
      '/proc/self/ns/net',
    ]);
    expect(joined.log).toBe(own);
    await cli.ok(['rm', '-f', id]);
  });

  it('--cpus and --memory are visible in the cgroup while running', async () => {
    const id = (
      await cli.ok(['run', '-d', '--cpus', '0.5', '--memory', '32m', image, 'sleep', '60'])
    ).trim();
    expect(readFileSync(`/sys/fs/cgroup/cpu/berth/${id}/cpu.cfs_quota_us`, 'utf8').trim()).toBe(
      '50000',
    );
    expect(
      readFileSync(`/sys/fs/cgroup/memory/berth/${id}/memory.limit_in_bytes`, 'utf8').trim(),
    ).toBe(String(32 * 1024 * 1024));
    await cli.ok(['rm', '-f', id]);
  });
});

describe('files', () => {
  it('docker diff, cp in and out, export', async () => {
    const id = (
      await cli.ok(['run', '-d', image, 'sh', '-c', 'echo hi > /tmp/new; rm /etc/group; sleep 300'])
    ).trim();
    for (let i = 0; i < 50 && !(await cli.ok(['diff', id])).includes('/tmp/new'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const diff = (await cli.ok(['diff', id])).split('\n').filter(Boolean);
    expect(diff).toEqual(
      expect.arrayContaining(['C /etc', 'D /etc/group', 'C /tmp', 'A /tmp/new']),
    );
    const scratch = mkdtempSync(join(tmpdir(), 'berth-cp-'));
    try {
      writeFileSync(join(scratch, 'in.txt'), 'payload\n');
      await cli.ok(['cp', join(scratch, 'in.txt'), `${id}:/tmp/`]);
      await cli.ok(['cp', `${id}:/tmp/in.txt`, join(scratch, 'out.txt')]);
      expect(readFileSync(join(scratch, 'out.txt'), 'utf8')).toBe('payload\n');
      expect((await cli.run(['cp', `${id}:/nope`, scratch])).stderr).toContain(
        'Could not find the file /nope',
      );
      await cli.ok(['stop', '-t', '0', id]);
      // A stopped container's files are still reachable, and its rootfs is unmounted afterwards.
      await cli.ok(['cp', `${id}:/tmp/new`, join(scratch, 'new.txt')]);
      expect(readFileSync(join(scratch, 'new.txt'), 'utf8')).toBe('hi\n');
      await cli.ok(['export', '-o', join(scratch, 'rootfs.tar'), id]);
      const members = execFileSync('tar', ['-tf', join(scratch, 'rootfs.tar')], {
        encoding: 'utf8',
      });
      expect(members).toContain('./tmp/new');
      expect(members).toContain('./bin/busybox');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    await cli.ok(['rm', id]);
    expect(berthd.leftMounts()).toEqual([]);
  });
});

describe('bad input', () => {
  it('names, capabilities, limits and missing binaries give precise errors', async () => {
    await cli.ok(['create', '--name', 'taken', image, 'true']);
    expect((await cli.run(['create', '--name', 'taken', image, 'true'])).stderr).toContain(
      'The container name "/taken" is already in use',
    );
    expect((await cli.run(['run', '-d', '--cap-add', 'FLY', image, 'true'])).stderr).toContain(
      'unknown capability: "CAP_FLY"',
    );
    expect((await cli.run(['run', '-d', '--memory', '1k', image, 'true'])).stderr).toContain(
      'Minimum memory limit allowed is 6MB',
    );
    expect((await cli.run(['run', '-d', '-v', 'rel:/x:bogus', image, 'true'])).stderr).toContain(
      'invalid mode: bogus',
    );
    const missing = await cli.run(['run', '-d', image, '/no/such/binary']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/no such file or directory/);
    expect((await cli.run(['start', 'nonexistent'])).stderr).toContain(
      'No such container: nonexistent',
    );
    const created = await rawRequest('POST', '/v1.43/containers/create', {
      Image: 'berth-test/never-pulled',
      Cmd: ['true'],
    });
    expect(created).toMatchObject({ status: 404 });
    expect(JSON.parse(created.body).message).toContain('No such image');
    const waitBad = await rawRequest('POST', '/v1.43/containers/taken/wait?condition=sometime');
    expect(waitBad.status).toBe(400);
    await cli.ok(['rm', '-f', 'taken']);
    const ids = (await cli.ok(['ps', '-aq'])).split('\n').filter(Boolean);
    if (ids.length > 0) await cli.ok(['rm', '-f', ...ids]);
  });
});

describe('dockerode', () => {
  it('create, start, wait, inspect, 304s and remove', async () => {
    const docker = new Docker({ socketPath: berthd.socket });
    const container = await docker.createContainer({
      Image: image,
      Cmd: ['sh', '-c', 'exit 3'],
      name: 'dockerode1',
    });
    const waiting = container.wait({ condition: 'next-exit' });
    await container.start();
    expect(await waiting).toMatchObject({ StatusCode: 3 });
    const info = await container.inspect();
    expect(info.State).toMatchObject({ Status: 'exited', ExitCode: 3 });
    await expect(container.stop()).rejects.toMatchObject({ statusCode: 304 });
    const list = await docker.listContainers({ all: true, filters: { name: ['dockerode1'] } });
    expect(list.map((c) => c.Names)).toEqual([['/dockerode1']]);
    await container.remove({ v: true });
    await expect(docker.getContainer('dockerode1').inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });
});

describe('berthd crash (SIGKILL)', () => {
  it('keeps running containers, records exits that happened while down, and finishes or cleans up creates', async () => {
    const survivor = (
      await cli.ok(['run', '-d', '--name', 'survivor', image, 'sleep', '300'])
    ).trim();
    const pid = JSON.parse(await cli.ok(['inspect', survivor]))[0].State.Pid;
    const shortLived = (
      await cli.ok(['run', '-d', '--name', 'short', image, 'sh', '-c', 'sleep 1; exit 5'])
    ).trim();
    // A create in flight when the daemon dies.
    const inFlight = rawRequest('POST', '/v1.43/containers/create?name=inflight', {
      Image: image,
      Cmd: ['true'],
    }).catch(() => undefined);
    await berthd.kill9();
    await inFlight;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Name:\s+sleep$/m);

    await berthd.restart();
    const state = (id: string) =>
      cli.ok(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}', id]);
    expect((await state(survivor)).trim()).toBe(`running 0 ${pid}`);
    expect((await state(shortLived)).trim()).toBe('exited 5 0');
    // The interrupted create is either complete (and usable) or gone, never half there.
    const dirs = readdirSync(join(berthd.dataRoot, 'containers'));
    for (const dir of dirs)
      expect(existsSync(join(berthd.dataRoot, 'containers', dir, 'config.v2.json'))).toBe(true);
    const inflight = await cli.run(['inspect', 'inflight']);
    if (inflight.code === 0) await cli.ok(['rm', 'inflight']);

    await cli.ok(['stop', '-t', '1', 'survivor']);
    expect((await state(survivor)).trim()).toBe('exited 137 0');
    await cli.ok(['rm', 'survivor', 'short']);
  });
});
