// The volume service on a real data root: local volumes, tmpfs and bind-style driver options
// (real mounts), mount preparation with copy-up, references, prune and a restart.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VolumeService } from '../../runtime-vm/daemon/services/volumes/volume-service';
import { parseContainerMounts } from '../../runtime-vm/daemon/services/volumes/mount-spec';
import { EventBus, type EngineEvent } from '../../runtime-vm/daemon/services/events';

async function mountsUnder(root: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(root));
}

describe('volume service', () => {
  let root: string;
  let dataRoot: string;
  let service: VolumeService;
  const bus = new EventBus();
  const events: EngineEvent[] = [];
  bus.subscribe((event) => events.push(event));

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-vol-'));
    dataRoot = join(root, 'data');
    service = new VolumeService({ dataRoot, events: bus });
    await service.start();
  });

  afterAll(async () => {
    for (const volume of service.list().Volumes) {
      service.dereference('c1');
      service.dereference('c2');
      await service.remove(volume.Name, true).catch(() => undefined);
    }
    expect(await mountsUnder(root)).toEqual([]);
    await rm(root, { recursive: true, force: true });
  });

  it('creates, inspects and lists local volumes', async () => {
    const named = await service.create({ Name: 'appdata', Labels: { env: 'test' } });
    expect(named).toMatchObject({
      Name: 'appdata',
      Driver: 'local',
      Mountpoint: join(dataRoot, 'volumes', 'appdata', '_data'),
      Labels: { env: 'test' },
      Scope: 'local',
    });
    expect((await stat(named.Mountpoint)).isDirectory()).toBe(true);
    expect(await service.create({ Name: 'appdata' })).toEqual(named);
    const anonymous = await service.create({});
    expect(anonymous.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(anonymous.Labels).toEqual({ 'com.docker.volume.anonymous': '' });
    expect(service.inspect('appdata').CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(service.list(new Map([['label', ['env=test']]])).Volumes.map((v) => v.Name)).toEqual([
      'appdata',
    ]);
    expect(() => service.inspect('missing')).toThrow('get missing: no such volume');
    await expect(service.create({ Name: 'x', Driver: 'local' })).rejects.toThrow(
      'includes invalid characters',
    );
    await expect(service.create({ Name: 'vv', Driver: 'nfs-plugin' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(service.create({ Name: 'vv', DriverOpts: { colour: 'red' } })).rejects.toThrow(
      'invalid option key: "colour"',
    );
    expect(
      events.filter((e) => e.Type === 'volume' && e.Action === 'create').map((e) => e.Actor.ID),
    ).toContain('appdata');
  });

  it('mounts tmpfs and bind-style volumes at first use and unmounts them on removal', async () => {
    const source = join(root, 'bind-source');
    await mkdir(source);
    await writeFile(join(source, 'hello.txt'), 'from the host');
    await service.create({
      Name: 'scratch',
      DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' },
    });
    await service.create({
      Name: 'hostdir',
      DriverOpts: { type: 'none', device: source, o: 'bind' },
    });
    expect(await mountsUnder(root)).toEqual([]);
    const prepared = await service.prepareMounts(
      'c1',
      parseContainerMounts({ Binds: ['scratch:/scratch', 'hostdir:/host:ro'] }),
    );
    const scratchPath = join(dataRoot, 'volumes', 'scratch', '_data');
    const hostPath = join(dataRoot, 'volumes', 'hostdir', '_data');
    expect((await mountsUnder(root)).sort()).toEqual([hostPath, scratchPath].sort());
    expect(await readFile(join(hostPath, 'hello.txt'), 'utf8')).toBe('from the host');
    expect(prepared.mounts).toEqual([
      {
        destination: '/scratch',
        type: 'bind',
        source: scratchPath,
        options: ['rbind', 'rw', 'rprivate'],
      },
      {
        destination: '/host',
        type: 'bind',
        source: hostPath,
        options: ['rbind', 'ro', 'rprivate'],
      },
    ]);
    await expect(service.remove('scratch')).rejects.toThrow(
      'remove scratch: volume is in use - [c1]',
    );
    service.dereference('c1');
    await service.remove('scratch');
    await service.remove('hostdir');
    expect(await mountsUnder(root)).toEqual([]);
    // The bind source itself is untouched by removing the volume.
    expect(await readFile(join(source, 'hello.txt'), 'utf8')).toBe('from the host');
  });

  it('prepares binds, volumes with copy-up, subpaths and tmpfs', async () => {
    const rootfs = join(root, 'rootfs');
    await mkdir(join(rootfs, 'etc/app'), { recursive: true });
    await writeFile(join(rootfs, 'etc/app/config.ini'), 'key=value\n');
    await mkdir(join(rootfs, 'var/lib/db'), { recursive: true });
    await writeFile(join(rootfs, 'var/lib/db/seed'), 'seed');
    const missingBind = join(root, 'created-by-binds');
    const specs = parseContainerMounts(
      {
        Binds: [`${missingBind}:/mnt:ro,rslave`, 'appdata:/etc/app'],
        Mounts: [{ Type: 'tmpfs', Target: '/run', TmpfsOptions: { SizeBytes: 1 << 20 } }],
      },
      { '/var/lib/db': {} },
    );
    const prepared = await service.prepareMounts('c2', specs, rootfs);
    expect((await stat(missingBind)).isDirectory()).toBe(true);
    expect(await readFile(join(dataRoot, 'volumes/appdata/_data/config.ini'), 'utf8')).toBe(
      'key=value\n',
    );
    const anonymous = prepared.volumes.find((name) => name !== 'appdata') as string;
    expect(await readFile(join(dataRoot, 'volumes', anonymous, '_data/seed'), 'utf8')).toBe('seed');
    expect(prepared.mountPoints).toEqual([
      {
        Type: 'bind',
        Source: missingBind,
        Destination: '/mnt',
        Mode: 'ro,rslave',
        RW: false,
        Propagation: 'rslave',
      },
      {
        Type: 'volume',
        Name: 'appdata',
        Source: join(dataRoot, 'volumes/appdata/_data'),
        Destination: '/etc/app',
        Driver: 'local',
        Mode: 'z',
        RW: true,
        Propagation: '',
      },
      { Type: 'tmpfs', Source: '', Destination: '/run', Mode: '', RW: true, Propagation: '' },
      {
        Type: 'volume',
        Name: anonymous,
        Source: join(dataRoot, 'volumes', anonymous, '_data'),
        Destination: '/var/lib/db',
        Driver: 'local',
        Mode: '',
        RW: true,
        Propagation: '',
      },
    ]);
    expect(prepared.mounts[2]).toEqual({
      destination: '/run',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'size=1024k', 'rw'],
    });
    // The resolved specs name the anonymous volume, so the next start reuses it.
    expect(
      prepared.resolved.map((spec) => (spec.type === 'volume' ? spec.name : spec.type)),
    ).toEqual(['bind', 'appdata', 'tmpfs', anonymous]);
    const volumeCount = service.list().Volumes.length;
    const again = await service.prepareMounts('c2', prepared.resolved, rootfs);
    expect(again.volumes).toEqual(prepared.volumes);
    expect(service.list().Volumes).toHaveLength(volumeCount);
    // A second container with the same volume: existing content is not overwritten.
    await writeFile(join(rootfs, 'etc/app/config.ini'), 'changed\n');
    await service.prepareMounts(
      'c3',
      parseContainerMounts({ Binds: ['appdata:/etc/app'] }),
      rootfs,
    );
    expect(await readFile(join(dataRoot, 'volumes/appdata/_data/config.ini'), 'utf8')).toBe(
      'key=value\n',
    );
    service.dereference('c3');
    // Subpath must exist inside the volume.
    await expect(
      service.prepareMounts(
        'c4',
        parseContainerMounts({
          Mounts: [
            { Type: 'volume', Source: 'appdata', Target: '/s', VolumeOptions: { Subpath: 'nope' } },
          ],
        }),
      ),
    ).rejects.toThrow('subpath nope does not exist in volume appdata');
    service.dereference('c4');
    await expect(
      service.prepareMounts(
        'c5',
        parseContainerMounts({
          Mounts: [{ Type: 'bind', Source: join(root, 'absent'), Target: '/x' }],
        }),
      ),
    ).rejects.toThrow(
      `invalid mount config for type "bind": bind source path does not exist: ${join(root, 'absent')}`,
    );
    expect(
      service
        .list(new Map([['dangling', ['false']]]))
        .Volumes.map((v) => v.Name)
        .sort(),
    ).toEqual([anonymous, 'appdata'].sort());
    const usage = await service.diskUsage();
    expect(usage.find((v) => v.Name === 'appdata')?.UsageData).toMatchObject({ RefCount: 1 });
    expect(usage.find((v) => v.Name === 'appdata')?.UsageData?.Size).toBeGreaterThan(0);
  });

  it('keeps data across a restart, removes anonymous volumes with rm -v, and prunes', async () => {
    const restarted = new VolumeService({ dataRoot, events: bus });
    await restarted.start();
    expect(
      restarted
        .list()
        .Volumes.map((v) => v.Name)
        .sort(),
    ).toEqual(
      service
        .list()
        .Volumes.map((v) => v.Name)
        .sort(),
    );
    expect(
      await readFile(join(restarted.inspect('appdata').Mountpoint, 'config.ini'), 'utf8'),
    ).toBe('key=value\n');
    service = restarted;
    // After a restart the containers service re-registers what each container uses.
    const anonymous = service
      .list(new Map([['label', ['com.docker.volume.anonymous']]]))
      .Volumes.map((v) => v.Name);
    service.reference('c2', ['appdata', ...anonymous]);
    await service.removeContainerVolumes('c2', true);
    expect(service.list().Volumes.map((v) => v.Name)).toEqual(['appdata']);
    await service.create({ Name: 'leftover-anon', Labels: { 'com.docker.volume.anonymous': '' } });
    expect(await service.prune(new Map(), '1.43')).toMatchObject({
      VolumesDeleted: ['leftover-anon'],
    });
    expect(service.list().Volumes.map((v) => v.Name)).toEqual(['appdata']);
    const all = await service.prune(new Map([['all', ['true']]]), '1.43');
    expect(all.VolumesDeleted).toEqual(['appdata']);
    expect(all.SpaceReclaimed).toBeGreaterThan(0);
    await service.create({ Name: 'old-client' });
    expect((await service.prune(new Map(), '1.41')).VolumesDeleted).toEqual(['old-client']);
    expect(events.filter((e) => e.Action === 'destroy').length).toBeGreaterThan(3);
  });
});
