// docker cp (the archive API) sees a container's volumes and binds, as dockerd does: on a created,
// never-started container (whose volumes are created then, and reused by its start), on a
// stopped one and on a running one, without leaving a mount behind on the host or inside the
// container. Read-only volumes and a read-only rootfs refuse writes with dockerd's messages, and
// docker export leaves volumes out.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { eventually } from './helpers/eventually';

let registry: TestRegistry;
let berthd: RunningBerthd;
let docker: Docker;
let cli: DockerCli;
let image: string;
let scratch: string;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function archiveOf(container: Docker.Container, path: string): Promise<Buffer> {
  return readAll((await container.getArchive({ path })) as unknown as Readable);
}

const tarNames = (tar: Buffer): string[] =>
  execFileSync('tar', ['-tf', '-'], { input: tar, encoding: 'utf8', stdio: 'pipe' })
    .split('\n')
    .filter(Boolean);

const tarMember = (tar: Buffer, name: string): string =>
  execFileSync('tar', ['-xOf', '-', name], { input: tar, encoding: 'utf8' });

function tarOf(name: string, content: string): Buffer {
  const dir = mkdtempSync(join(scratch, 'tar-'));
  writeFileSync(join(dir, name), content);
  return execFileSync('tar', ['-C', dir, '-cf', '-', name]);
}

/**
 * Mount points under berthd's folders. A view goes after each call, once the stream that used
 * it has ended, which can be just after the client has read the last byte.
 */
function mountsUnderBerthd(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(`${berthd.root}/`) && point.includes('file-views'));
}

async function fillVolume(name: string, script: string): Promise<void> {
  const writer = await docker.createContainer({
    Image: image,
    Cmd: ['sh', '-c', script],
    HostConfig: { Binds: [`${name}:/v`], NetworkMode: 'none' },
  });
  await writer.start();
  await writer.wait();
  await writer.remove();
}

beforeAll(async () => {
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  berthd = await startBerthd({ insecureRegistries: [registry.host] });
  docker = new Docker({ socketPath: berthd.socket });
  cli = new DockerCli(berthd.socket);
  image = `${registry.host}/berth-test/busybox:latest`;
  scratch = mkdtempSync(join(tmpdir(), 'berth-archive-'));
  await cli.ok(['pull', image]);
  await fillVolume(
    'filled',
    'mkdir -p /v/docs && echo hello > /v/hello.txt && echo nested > /v/docs/readme.md',
  );
});

afterAll(async () => {
  if (docker) {
    for (const container of await docker.listContainers({ all: true }))
      await docker.getContainer(container.Id).remove({ force: true, v: true });
  }
  await berthd?.stop();
  cli?.dispose();
  await registry?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('docker cp and volumes', () => {
  it('reads a volume through a created, never-started container (read-only mount)', async () => {
    const helper = await docker.createContainer({
      Image: image,
      Cmd: ['true'],
      HostConfig: { Binds: ['filled:/browse:ro'], NetworkMode: 'none' },
    });
    const listing = await archiveOf(helper, '/browse');
    expect(tarNames(listing)).toEqual(
      expect.arrayContaining(['browse/', 'browse/hello.txt', 'browse/docs/readme.md']),
    );
    expect(tarMember(await archiveOf(helper, '/browse/docs/readme.md'), 'readme.md')).toBe(
      'nested\n',
    );
    await cli.ok(['container', 'cp', `${helper.id}:/browse/hello.txt`, scratch]);
    expect(readFileSync(join(scratch, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect((await helper.inspect()).State.Status).toBe('created');
    await eventually(() => mountsUnderBerthd().length === 0, 'the file views are unmounted');
    await helper.remove({ v: false });
    expect((await docker.getVolume('filled').inspect()).Name).toBe('filled');
  });

  it('creates the volumes of a created container as dockerd does, and its start reuses them', async () => {
    // A new named volume over an image folder is filled from the image; an anonymous volume is
    // created and kept for the start.
    const created = await docker.createContainer({
      Image: image,
      name: 'cp-created',
      Cmd: ['sh', '-c', 'cat /anon/put.txt /etc/passwd'],
      HostConfig: { Binds: ['fresh:/etc'], NetworkMode: 'none' },
      Volumes: { '/anon': {} },
    });
    await created.putArchive(tarOf('put.txt', 'put before start\n'), { path: '/anon' });
    const passwd = tarMember(await archiveOf(created, '/etc/passwd'), 'passwd');
    expect(passwd).toContain('root:x:0:0:root');
    const fresh = await docker.getVolume('fresh').inspect();
    expect(readFileSync(join(fresh.Mountpoint, 'passwd'), 'utf8')).toBe(passwd);
    const mounts = (await created.inspect()).Mounts;
    expect(mounts.find((mount) => mount.Destination === '/etc')?.Source).toBe(fresh.Mountpoint);
    const anonymous = mounts.find((mount) => mount.Destination === '/anon');
    expect(anonymous?.Name).toMatch(/^[0-9a-f]{64}$/);
    await created.start();
    expect((await created.wait()).StatusCode).toBe(0);
    expect(berthd.containerOutput(created.id)).toContain('put before start');
    expect((await created.inspect()).Mounts.find((m) => m.Destination === '/anon')?.Name).toBe(
      anonymous?.Name,
    );
    await created.remove({ v: true });
    const left = ((await docker.listVolumes()).Volumes ?? []).map((volume) => volume.Name);
    expect(left).not.toContain(anonymous?.Name);
    await docker.getVolume('fresh').remove();
  });

  it('reads and writes bind mounts of a stopped container, creating their mount points', async () => {
    const source = join(scratch, 'bind-source');
    mkdirSync(source);
    writeFileSync(join(source, 'from-host.txt'), 'host data\n');
    const container = await docker.createContainer({
      Image: image,
      Cmd: ['true'],
      HostConfig: { Binds: [`${source}:/deep/bind/here`], NetworkMode: 'none' },
    });
    await container.start();
    await container.wait();
    expect(
      tarMember(await archiveOf(container, '/deep/bind/here/from-host.txt'), 'from-host.txt'),
    ).toBe('host data\n');
    await container.putArchive(tarOf('from-cp.txt', 'copied in\n'), { path: '/deep/bind/here' });
    expect(readFileSync(join(source, 'from-cp.txt'), 'utf8')).toBe('copied in\n');
    await eventually(() => mountsUnderBerthd().length === 0, 'the file views are unmounted');
    await container.remove();
  });

  it('sees the volumes of a running container without touching its mounts', async () => {
    const running = await docker.createContainer({
      Image: image,
      Cmd: ['sleep', '300'],
      HostConfig: { Binds: ['filled:/data'], NetworkMode: 'none' },
    });
    await running.start();
    const { State } = await running.inspect();
    const containerMounts = () => readFileSync(`/proc/${State.Pid}/mountinfo`, 'utf8');
    const before = containerMounts();
    expect(tarMember(await archiveOf(running, '/data/hello.txt'), 'hello.txt')).toBe('hello\n');
    await running.putArchive(tarOf('live.txt', 'while running\n'), { path: '/data' });
    const exec = await running.exec({ Cmd: ['cat', '/data/live.txt'], AttachStdout: true });
    const output = await readAll((await exec.start({})) as unknown as Readable);
    expect(output.toString()).toContain('while running');
    expect(containerMounts()).toBe(before);
    await eventually(() => mountsUnderBerthd().length === 0, 'the file views are unmounted');
    await running.remove({ force: true });
  });

  it("reads a started container's /etc/hosts, resolv.conf and hostname as it sees them", async () => {
    const running = await docker.createContainer({
      Image: image,
      Hostname: 'files-tab',
      Cmd: ['sleep', '300'],
      HostConfig: { ExtraHosts: ['registry.example:192.0.2.7'] },
    });
    await running.start();
    const inside = async (file: string) => {
      const exec = await running.exec({ Cmd: ['cat', file], AttachStdout: true, Tty: true });
      return (await readAll((await exec.start({ Tty: true })) as unknown as Readable)).toString();
    };
    for (const [path, name] of [
      ['/etc/hosts', 'hosts'],
      ['/etc/hostname', 'hostname'],
      ['/etc/resolv.conf', 'resolv.conf'],
    ] as const) {
      const seen = (await inside(path)).replace(/\r\n/g, '\n');
      expect(tarMember(await archiveOf(running, path), name)).toBe(seen);
    }
    expect(tarMember(await archiveOf(running, '/etc/hosts'), 'hosts')).toContain(
      '192.0.2.7\tregistry.example',
    );
    // A listing of /etc (the Files tab) shows them with their real size.
    expect(tarMember(await archiveOf(running, '/etc'), 'etc/hostname')).toBe('files-tab\n');
    await eventually(() => mountsUnderBerthd().length === 0, 'the file views are unmounted');
    await running.remove({ force: true });
  });

  it('refuses writes to a read-only volume and outside volumes on a read-only rootfs', async () => {
    const container = await docker.createContainer({
      Image: image,
      Cmd: ['true'],
      HostConfig: {
        ReadonlyRootfs: true,
        Binds: ['filled:/ro:ro', 'writable:/rw'],
        NetworkMode: 'none',
      },
    });
    await expect(container.putArchive(tarOf('x.txt', 'x'), { path: '/ro' })).rejects.toMatchObject({
      statusCode: 403,
      json: { message: 'mounted volume is marked read-only' },
    });
    await expect(container.putArchive(tarOf('x.txt', 'x'), { path: '/tmp' })).rejects.toMatchObject(
      {
        statusCode: 403,
        json: { message: 'container rootfs is marked read-only' },
      },
    );
    await container.putArchive(tarOf('x.txt', 'into the volume\n'), { path: '/rw' });
    expect(tarMember(await archiveOf(container, '/rw/x.txt'), 'x.txt')).toBe('into the volume\n');
    await container.remove({ v: true });
    await docker.getVolume('writable').remove();
  });

  it('keeps volume data when the container is removed while a copy is in flight', async () => {
    // 64 MB more than socket buffers hold, so the unread archive really stays in flight.
    await fillVolume('precious', 'echo keep me > /v/keep.txt; head -c 64000000 /dev/zero > /v/big');
    const container = await docker.createContainer({
      Image: image,
      Cmd: ['true'],
      HostConfig: { Binds: ['precious:/data'], NetworkMode: 'none' },
    });
    // The archive is open (its view mounted) and unread when the removal comes: the removal
    // waits for the copy, as with dockerd, and then leaves the volume alone.
    const archive = (await container.getArchive({ path: '/data' })) as unknown as Readable;
    const removed = container.remove({ force: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await container.inspect()).Id).toBe(container.id);
    archive.destroy();
    await removed;
    await expect(container.inspect()).rejects.toMatchObject({ statusCode: 404 });
    const volume = await docker.getVolume('precious').inspect();
    expect(readFileSync(join(volume.Mountpoint, 'keep.txt'), 'utf8')).toBe('keep me\n');
    await expect.poll(() => mountsUnderBerthd(), { timeout: 5_000 }).toEqual([]);
    await docker.getVolume('precious').remove();
  });

  it('names archive entries as dockerd does for /, a folder and a folder/.', async () => {
    const container = await docker.createContainer({
      Image: image,
      Cmd: ['sleep', '300'],
      HostConfig: { Binds: ['filled:/data'], NetworkMode: 'none' },
    });
    await container.start();
    const whole = tarNames(await archiveOf(container, '/'));
    expect(whole).toEqual(expect.arrayContaining(['/', '/bin/', '/etc/passwd', '/data/hello.txt']));
    expect(tarNames(await archiveOf(container, '/etc'))).toEqual(
      expect.arrayContaining(['etc/', 'etc/passwd']),
    );
    const contents = tarNames(await archiveOf(container, '/etc/.'));
    expect(contents).toEqual(expect.arrayContaining(['./', './passwd']));
    // The docker CLI copies a folder's contents from "folder/.".
    const into = join(scratch, 'etc-contents');
    await cli.ok(['cp', `${container.id}:/etc/.`, into]);
    expect(readFileSync(join(into, 'passwd'), 'utf8')).toContain('root:x:0:0');
    await container.remove({ force: true });
  });

  it('leaves volumes out of docker export', async () => {
    const container = await docker.createContainer({
      Image: image,
      Cmd: ['true'],
      HostConfig: { Binds: ['filled:/data'], NetworkMode: 'none' },
    });
    // The volume is in place for cp, and the export still has only the image's files.
    expect(tarNames(await archiveOf(container, '/data'))).toContain('data/hello.txt');
    const exported = await readAll((await container.export()) as unknown as Readable);
    const names = tarNames(exported);
    expect(names).toContain('./bin/busybox');
    expect(names.some((name) => name.includes('hello.txt'))).toBe(false);
    await eventually(() => mountsUnderBerthd().length === 0, 'the file views are unmounted');
    await container.remove();
  });
});
