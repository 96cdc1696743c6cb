// The API version berthd advertises and what each level obliges, through the real docker CLI
// (which negotiates the highest version offered), dockerode and raw versioned requests:
// image answers without VirtualSize/ContainerConfig, recursively read-only binds, /info's
// CDISpecDirs, Runtimes[].status and DefaultAddressPools, the create-request rules of older
// versions, the container-wide MacAddress migration, multi-network create and Subpath.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxApiVersion } from '../../runtime-vm/daemon/api/version';
import { instanceNetworkNames } from '../../runtime-vm/daemon/services/networks/network-service';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { engineRequest, type EngineReply } from './helpers/engine-request';

const addressPool = { base: '10.213.0.0/16', size: 24 };

let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let image: string;
let scratch: string;
let bindSource: string;
let subMount: string;

function call(method: string, path: string, body?: object): Promise<EngineReply> {
  return engineRequest(berthd.socket, method, path, body);
}

async function json<T = Record<string, unknown>>(path: string): Promise<T> {
  const reply = await call('GET', path);
  expect(reply.status, reply.body).toBe(200);
  return JSON.parse(reply.body) as T;
}

function message(reply: EngineReply): string {
  return (JSON.parse(reply.body) as { message: string }).message;
}

/** Creates and starts through the API, waits for the exit, returns the exit code. */
async function runAt(version: string, body: object): Promise<{ id: string; code: number }> {
  const created = await call('POST', `/v${version}/containers/create`, body);
  expect(created.status, created.body).toBe(201);
  const { Id } = JSON.parse(created.body) as { Id: string };
  const started = await call('POST', `/v${version}/containers/${Id}/start`);
  expect(started.status, started.body).toBe(204);
  const waited = await call('POST', `/v${version}/containers/${Id}/wait`);
  return { id: Id, code: (JSON.parse(waited.body) as { StatusCode: number }).StatusCode };
}

const writes = (target: string) => [
  'sh',
  '-c',
  `touch ${target}/top 2>/dev/null; a=$?; touch ${target}/sub/inner 2>/dev/null; b=$?; exit $((a * 10 + b))`,
];

beforeAll(async () => {
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  berthd = await startBerthd({
    // runc: /info shows the runtime's `features` document, which crun 1.8 does not have (crun's
    // own recursive read-only binds are covered in runtimes.test.ts).
    args: [
      '--default-address-pool',
      `base=${addressPool.base},size=${addressPool.size}`,
      '--default-runtime',
      'runc',
    ],
  });
  cli = new DockerCli(berthd.socket);
  image = `${registry.host}/berth-test/busybox:latest`;
  await cli.ok(['pull', image]);
  // A bind source with a submount: the case recursive read-only is about.
  scratch = mkdtempSync(join(tmpdir(), 'berth-apiver-'));
  bindSource = join(scratch, 'src');
  subMount = join(bindSource, 'sub');
  mkdirSync(subMount, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', subMount]);
});

afterAll(async () => {
  if (cli && berthd) {
    const ids = (await cli.run(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await cli.run(['rm', '-f', ...ids]);
    await cli.run(['network', 'rm', 'apiver-a', 'apiver-b']);
    await cli.run(['volume', 'rm', 'apiver-vol']);
  }
  const dataRoot = berthd?.dataRoot;
  await berthd?.stop();
  cli?.dispose();
  await registry?.stop();
  if (subMount) execFileSync('umount', [subMount]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(scratch);
  if (dataRoot) {
    const { defaultBridgeName } = instanceNetworkNames(dataRoot);
    expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).not.toContain(defaultBridgeName);
  }
});

describe('negotiation', () => {
  it('offers 1.45, and the CLI and dockerode settle on it', async () => {
    expect(maxApiVersion).toBe('1.45');
    expect((await cli.ok(['version', '--format', '{{.Server.APIVersion}}'])).trim()).toBe('1.45');
    expect((await cli.ok(['version', '--format', '{{.Client.APIVersion}}'])).trim()).toBe('1.45');
    const version = await new Docker({ socketPath: berthd.socket }).version();
    expect(version.ApiVersion).toBe('1.45');
    const tooNew = await call('GET', '/v1.46/version');
    expect(tooNew.status).toBe(400);
    expect(message(tooNew)).toBe(
      'client version 1.46 is too new. Maximum supported API version is 1.45',
    );
  });
});

describe('images (1.44: no VirtualSize, until filter; 1.45: no Container/ContainerConfig)', () => {
  it('image list drops VirtualSize from 1.44 on and keeps it for older clients', async () => {
    const [current] = await json<Record<string, unknown>[]>('/v1.45/images/json');
    expect(current).toBeDefined();
    expect(current).not.toHaveProperty('VirtualSize');
    expect(current?.['Size']).toBeGreaterThan(0);
    const [old] = await json<Record<string, unknown>[]>('/v1.43/images/json');
    expect(old?.['VirtualSize']).toBe(old?.['Size']);
    const listed = await new Docker({ socketPath: berthd.socket }).listImages();
    expect(listed[0]).not.toHaveProperty('VirtualSize');
  });

  it('image inspect follows each version', async () => {
    const path = `/images/${encodeURIComponent(image)}/json`;
    const at45 = await json(`/v1.45${path}`);
    expect(at45).not.toHaveProperty('VirtualSize');
    expect(at45).not.toHaveProperty('Container');
    expect(at45).not.toHaveProperty('ContainerConfig');
    expect(at45['Created']).toBe('2026-01-01T00:00:00Z');
    const at44 = await json(`/v1.44${path}`);
    expect(at44).not.toHaveProperty('VirtualSize');
    expect(at44).toHaveProperty('ContainerConfig');
    const at43 = await json(`/v1.43${path}`);
    expect(at43['VirtualSize']).toBe(at43['Size']);
    const cli45 = JSON.parse(await cli.ok(['image', 'inspect', image])) as object[];
    expect(cli45[0]).not.toHaveProperty('VirtualSize');
  });

  it('system df drops VirtualSize from 1.44 on', async () => {
    const current = await json<{ Images: object[] }>('/v1.45/system/df');
    expect(current.Images.length).toBeGreaterThan(0);
    for (const entry of current.Images) expect(entry).not.toHaveProperty('VirtualSize');
    const old = await json<{ Images: Record<string, unknown>[] }>('/v1.43/system/df');
    expect(old.Images[0]?.['VirtualSize']).toBe(old.Images[0]?.['Size']);
    expect(await cli.ok(['system', 'df'])).toContain('Images');
  });

  it('filters images by until (timestamps and durations)', async () => {
    // The fixture image was created at 2026-01-01T00:00:00Z.
    const before = await cli.ok(['images', '-q', '--filter', 'until=2025-12-31T00:00:00Z']);
    expect(before.trim()).toBe('');
    const after = await cli.ok(['images', '-q', '--filter', 'until=2026-01-02T00:00:00Z']);
    expect(after.trim()).not.toBe('');
    const relative = await cli.ok(['images', '-q', '--filter', 'until=1m']);
    expect(relative.trim()).toBe(after.trim());
    const bad = await cli.run(['images', '--filter', 'until=soon']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('is not a timestamp');
  });
});

describe('/info (1.44)', () => {
  it('shows CDISpecDirs, the runtime features as Runtimes[].status and the address pools', async () => {
    const info = await json<{
      CDISpecDirs: string[];
      Runtimes: Record<string, { path: string; status?: Record<string, string> }>;
      DefaultRuntime: string;
      DefaultAddressPools: { Base: string; Size: number }[];
    }>('/v1.45/info');
    expect(info.CDISpecDirs).toEqual([]);
    expect(info.DefaultAddressPools).toEqual([{ Base: addressPool.base, Size: addressPool.size }]);
    const runtime = info.Runtimes[info.DefaultRuntime];
    const features = JSON.parse(
      runtime?.status?.['org.opencontainers.runtime-spec.features'] ?? '{}',
    ) as { mountOptions?: string[] };
    expect(features.mountOptions).toContain('rro');
    const old = await json<{ Runtimes: Record<string, object> }>('/v1.43/info');
    expect(old.Runtimes[info.DefaultRuntime]).not.toHaveProperty('status');
    const viaCli = await cli.ok(['info', '--format', '{{json .CDISpecDirs}} {{.DefaultRuntime}}']);
    expect(viaCli.trim()).toBe(`[] ${info.DefaultRuntime}`);
  });
});

describe('recursively read-only binds (1.44)', () => {
  it('makes -v :ro binds read-only including submounts', async () => {
    const result = await cli.run([
      'run', '--rm', '-v', `${bindSource}:/data:ro`, image, ...writes('/data'),
    ]); // prettier-ignore
    // Both writes fail: the top dir and the tmpfs mounted below it.
    expect(result.code).toBe(11);
  });

  it('honours bind-recursive=writable (ReadOnlyNonRecursive) and =readonly (force)', async () => {
    const mount = `type=bind,source=${bindSource},target=/data,readonly`;
    const writable = await cli.run([
      'run', '--rm', '--mount', `${mount},bind-recursive=writable`, image, ...writes('/data'),
    ]); // prettier-ignore
    expect(writable.code).toBe(10);
    const forced = await cli.run([
      'run', '--rm', '--mount', `${mount},bind-recursive=readonly,bind-propagation=rprivate`, image, ...writes('/data'),
    ]); // prettier-ignore
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(11);
    const inspected = JSON.parse(
      await cli
        .ok(['create', '--mount', `${mount},bind-recursive=writable`, image])
        .then((id) => cli.ok(['inspect', id.trim()])),
    ) as { HostConfig: { Mounts: { BindOptions?: object }[] } }[];
    expect(inspected[0]?.HostConfig.Mounts[0]?.BindOptions).toMatchObject({
      ReadOnlyNonRecursive: true,
    });
  });

  it('keeps read-only --mount binds non-recursive for clients below 1.44', async () => {
    const { code } = await runAt('1.43', {
      Image: image,
      Cmd: writes('/data'),
      HostConfig: {
        Mounts: [{ Type: 'bind', Source: bindSource, Target: '/data', ReadOnly: true }],
      },
    });
    expect(code).toBe(10);
  });

  it("refuses dockerd's bad combinations with its 400 messages", async () => {
    const mount = (readOnly: boolean, options: object, version = '1.45') =>
      call('POST', `/v${version}/containers/create`, {
        Image: image,
        HostConfig: {
          Mounts: [
            {
              Type: 'bind',
              Source: bindSource,
              Target: '/data',
              ReadOnly: readOnly,
              BindOptions: options,
            },
          ],
        },
      });
    const cases: [EngineReply, string][] = [
      [
        await mount(false, { ReadOnlyNonRecursive: true }),
        'mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive',
      ],
      [
        await mount(false, { ReadOnlyForceRecursive: true }),
        'mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive',
      ],
      [
        await mount(true, { ReadOnlyNonRecursive: true, ReadOnlyForceRecursive: true }),
        'mount options conflict: ReadOnlyNonRecursive && BindOptions.ReadOnlyForceRecursive',
      ],
      [
        await mount(true, { ReadOnlyForceRecursive: true }, '1.43'),
        'BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer',
      ],
    ];
    for (const [reply, text] of cases) {
      expect(reply.status, reply.body).toBe(400);
      expect(message(reply)).toBe(text);
    }
  });
});

describe('container create across versions', () => {
  it('moves the container-wide MacAddress to the main endpoint, with a warning', async () => {
    const mac = '02:42:ac:11:00:99';
    const created = await call('POST', '/v1.45/containers/create', {
      Image: image,
      MacAddress: mac,
      Cmd: ['cat', '/sys/class/net/eth0/address'],
    });
    expect(created.status, created.body).toBe(201);
    const { Id, Warnings } = JSON.parse(created.body) as { Id: string; Warnings: string[] };
    expect(Warnings).toEqual([
      'The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead.',
    ]);
    await cli.ok(['start', Id]);
    expect((await cli.ok(['wait', Id])).trim()).toBe('0');
    expect(berthd.containerOutput(Id).trim()).toBe(mac);

    const clash = await call('POST', '/v1.45/containers/create', {
      Image: image,
      MacAddress: mac,
      NetworkingConfig: { EndpointsConfig: { bridge: { MacAddress: '02:42:ac:11:00:98' } } },
    });
    expect(clash.status).toBe(400);
    expect(message(clash)).toBe(
      'the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty',
    );
    const noNetwork = await call('POST', '/v1.43/containers/create', {
      Image: image,
      MacAddress: mac,
      HostConfig: { NetworkMode: 'none' },
    });
    expect(noNetwork.status).toBe(400);
    expect(message(noNetwork)).toBe('conflicting options: mac-address and the network mode');
  });

  it('the CLI sets --mac-address per endpoint at 1.45', async () => {
    const mac = '02:42:ac:11:00:97';
    const out = await cli.ok([
      'run', '--rm', '--mac-address', mac, image, 'cat', '/sys/class/net/eth0/address',
    ]); // prettier-ignore
    expect(out.trim()).toBe(mac);
  });

  it('creates with several networks at 1.44+, refuses it below, and keeps Aliases as given', async () => {
    await cli.ok(['network', 'create', 'apiver-a']);
    await cli.ok(['network', 'create', 'apiver-b']);
    const id =
      (await cli.ok([
        'run', '-d', '--name', 'apiver-multi', '--network', 'apiver-a', '--network-alias', 'web',
        '--network', 'apiver-b', image, 'sleep', '60',
      ])) // prettier-ignore
        .trim();
    const [inspected] = JSON.parse(await cli.ok(['inspect', id])) as {
      NetworkSettings: {
        Networks: Record<string, { Aliases: string[] | null; DNSNames: string[] | null; IPAddress: string }>;
      };
    }[]; // prettier-ignore
    const networks = inspected?.NetworkSettings.Networks ?? {};
    expect(Object.keys(networks).sort()).toEqual(['apiver-a', 'apiver-b']);
    // 1.45: Aliases are exactly what the client gave; DNSNames adds the name and short ID.
    expect(networks['apiver-a']?.Aliases).toEqual(['web']);
    expect(networks['apiver-a']?.DNSNames).toEqual(
      expect.arrayContaining(['apiver-multi', 'web', id.slice(0, 12)]),
    );
    // Networks without a subnet come from the configured pool.
    expect(networks['apiver-b']?.IPAddress).toMatch(/^10\.213\./);
    await cli.ok(['rm', '-f', id]);

    const tooOld = await call('POST', '/v1.43/containers/create', {
      Image: image,
      HostConfig: { NetworkMode: 'apiver-a' },
      NetworkingConfig: { EndpointsConfig: { 'apiver-a': {}, 'apiver-b': {} } },
    });
    expect(tooOld.status).toBe(400);
    expect(message(tooOld)).toBe(
      'Container cannot be created with multiple network endpoints: apiver-a, apiver-b',
    );
  });

  it('drops HealthConfig.StartInterval for clients below 1.44', async () => {
    const healthcheck = { Test: ['CMD', 'true'], Interval: 30e9, StartInterval: 2e9 };
    const at43 = await call('POST', '/v1.43/containers/create', {
      Image: image,
      Healthcheck: healthcheck,
    });
    const at45 = await call('POST', '/v1.45/containers/create', {
      Image: image,
      Healthcheck: healthcheck,
    });
    const interval = async (reply: EngineReply) => {
      const { Id } = JSON.parse(reply.body) as { Id: string };
      const body = await json<{ Config: { Healthcheck: { StartInterval?: number } } }>(
        `/v1.45/containers/${Id}/json`,
      );
      return body.Config.Healthcheck.StartInterval;
    };
    expect(await interval(at43)).toBeUndefined();
    expect(await interval(at45)).toBe(2e9);
  });

  it('mounts a volume subpath at 1.45 and refuses it below', async () => {
    await cli.ok(['volume', 'create', 'apiver-vol']);
    await cli.ok([
      'run', '--rm', '-v', 'apiver-vol:/v', image, 'sh', '-c', 'mkdir -p /v/part && echo inside > /v/part/f',
    ]); // prettier-ignore
    const mount = {
      Type: 'volume',
      Source: 'apiver-vol',
      Target: '/p',
      VolumeOptions: { Subpath: 'part' },
    };
    const old = await call('POST', '/v1.44/containers/create', {
      Image: image,
      HostConfig: { Mounts: [mount] },
    });
    expect(old.status).toBe(400);
    expect(message(old)).toBe('VolumeOptions.Subpath needs API v1.45 or newer');
    const { id, code } = await runAt('1.45', {
      Image: image,
      Cmd: ['cat', '/p/f'],
      HostConfig: { Mounts: [mount] },
    });
    expect(code).toBe(0);
    expect(berthd.containerOutput(id).trim()).toBe('inside');
  });
});

describe('networks (unversioned rules of a 1.44 daemon)', () => {
  it('refuses a duplicate name and invalid IPAM settings', async () => {
    const duplicate = await call('POST', '/v1.45/networks/create', { Name: 'apiver-a' });
    expect(duplicate.status).toBe(409);
    const badIpam = await call('POST', '/v1.45/networks/create', {
      Name: 'apiver-bad',
      IPAM: { Config: [{ Subnet: '10.214.0.0/24', Gateway: '10.215.0.1' }] },
    });
    expect(badIpam.status).toBe(400);
  });
});
