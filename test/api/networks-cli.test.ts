// The docker CLI against the network and volume routes, served by berthd's own API server and
// services (system routes for /_ping and /version), on a private unix socket and data root.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../runtime-vm/daemon/api/server';
import { systemRoutes } from '../../runtime-vm/daemon/api/routers/system';
import { networksRoutes, type NetworksBackend } from '../../runtime-vm/daemon/api/routers/networks';
import { volumesRoutes, type VolumesBackend } from '../../runtime-vm/daemon/api/routers/volumes';
import { maxApiVersion, minApiVersion } from '../../runtime-vm/daemon/api/version';
import { silentLogger } from '../../runtime-vm/daemon/logger';
import { EventBus } from '../../runtime-vm/daemon/services/events';
import { NetworkService } from '../../runtime-vm/daemon/services/networks/network-service';
import { VolumeService } from '../../runtime-vm/daemon/services/volumes/volume-service';
import { SystemService } from '../../runtime-vm/daemon/services/system/system-service';
import { ownedBy, snapshotHostNetwork, uniqueTag } from './helpers/netns';

const tag = uniqueTag();
const chainPrefix = `BC${tag.toUpperCase()}`;
const defaultBridge = `bc${tag}0`;

describe('docker CLI: network and volume commands', () => {
  let root: string;
  let socket: string;
  let server: ApiServer;
  let networks: NetworkService;
  let volumes: VolumeService;

  const docker = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        'docker',
        args,
        {
          env: {
            ...process.env,
            DOCKER_HOST: `unix://${socket}`,
            DOCKER_CONFIG: join(root, 'cli'),
          },
          timeout: 30_000,
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

  const api = (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: socket,
          method,
          path,
          headers: payload ? { 'Content-Type': 'application/json' } : {},
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              json: text ? (JSON.parse(text) as unknown) : undefined,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-netcli-'));
    socket = join(root, 'berthd.sock');
    const events = new EventBus();
    networks = new NetworkService({
      dataRoot: join(root, 'data'),
      events,
      chainPrefix,
      defaultBridgeName: defaultBridge,
      namespacePrefix: `bc${tag}-`,
      dnsUpstreams: [],
    });
    volumes = new VolumeService({ dataRoot: join(root, 'data'), events });
    await networks.start();
    await volumes.start();
    const system = new SystemService({
      dataRoot: join(root, 'data'),
      apiVersion: maxApiVersion,
      minApiVersion,
      images: { usage: async () => ({ count: 0, layersSize: 0, images: [] }) },
      eventListeners: () => events.subscriberCount,
    });
    await system.init();
    system.attachVolumes(volumes);
    // The services are the backends as they are: this is the wiring daemon.ts does.
    const networkBackend: NetworksBackend = networks;
    const volumeBackend: VolumesBackend = volumes;
    server = createApiServer({
      routes: [
        ...systemRoutes(system),
        ...networksRoutes(networkBackend),
        ...volumesRoutes(volumeBackend),
      ],
      logger: silentLogger,
      serverHeader: 'Berth/test',
    });
    await new Promise<void>((resolve) => server.http.listen(socket, resolve));
  });

  afterAll(async () => {
    await server.drain(1000);
    await new Promise<void>((resolve) => server.http.close(() => resolve()));
    for (const n of networks.list().filter((n) => !['bridge', 'host', 'none'].includes(n.Name))) {
      await networks.remove(n.Id).catch(() => undefined);
    }
    await networks.shutdown();
    await rm(root, { recursive: true, force: true });
    const after = await snapshotHostNetwork();
    expect(ownedBy(after, [chainPrefix, defaultBridge, `bc${tag}`])).toEqual({
      links: [],
      namespaces: [],
      iptables: [],
    });
  });

  it('network create, ls, inspect, rm', async () => {
    const created = await docker([
      'network',
      'create',
      '--subnet',
      '10.214.0.0/24',
      '--label',
      'app=cli',
      `cli${tag}`,
    ]);
    expect(created).toMatchObject({ code: 0 });
    const id = created.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ls = await docker(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
    expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual(
      [
        'bridge bridge local',
        'host host local',
        'none null local',
        `cli${tag} bridge local`,
      ].sort(),
    );
    const filtered = await docker([
      'network',
      'ls',
      '-q',
      '--no-trunc',
      '--filter',
      'label=app=cli',
    ]);
    expect(filtered.stdout.trim()).toBe(id);
    const inspect = await docker(['network', 'inspect', `cli${tag}`]);
    const [network] = JSON.parse(inspect.stdout) as {
      Id: string;
      IPAM: { Config: { Subnet: string; Gateway: string }[] };
    }[];
    expect(network?.Id).toBe(id);
    expect(network?.IPAM.Config).toEqual([{ Subnet: '10.214.0.0/24', Gateway: '10.214.0.1' }]);
    const duplicate = await docker(['network', 'create', `cli${tag}`]);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toContain(`network with name cli${tag} already exists`);
    const overlay = await docker(['network', 'create', '-d', 'overlay', `ov${tag}`]);
    expect(overlay.stderr).toContain(
      'overlay networks are not supported on a single host: use a Kubernetes or Swarm cluster',
    );
    const predefined = await docker(['network', 'rm', 'bridge']);
    expect(predefined.stderr).toContain('bridge is a pre-defined network and cannot be removed');
    expect(await docker(['network', 'rm', `cli${tag}`])).toMatchObject({ code: 0 });
    const missing = await docker(['network', 'inspect', `cli${tag}`]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`network cli${tag} not found`);
  });

  it('network prune removes unused user networks', async () => {
    await docker(['network', 'create', `p1${tag}`]);
    const pruned = await docker(['network', 'prune', '-f']);
    expect(pruned.stdout).toContain(`p1${tag}`);
    expect((await docker(['network', 'ls', '-q'])).stdout.trim().split('\n')).toHaveLength(3);
  });

  it('volume create, ls, inspect, rm and prune', async () => {
    expect((await docker(['volume', 'create', '--label', 'k=v', `data${tag}`])).stdout.trim()).toBe(
      `data${tag}`,
    );
    const anonymous = (await docker(['volume', 'create'])).stdout.trim();
    expect(anonymous).toMatch(/^[0-9a-f]{64}$/);
    const ls = await docker(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}']);
    expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual(
      [`local ${anonymous}`, `local data${tag}`].sort(),
    );
    expect((await docker(['volume', 'ls', '-q', '--filter', 'label=k=v'])).stdout.trim()).toBe(
      `data${tag}`,
    );
    const [inspected] = JSON.parse((await docker(['volume', 'inspect', `data${tag}`])).stdout) as {
      Mountpoint: string;
      Labels: object;
    }[];
    expect(inspected?.Mountpoint).toBe(join(root, 'data', 'volumes', `data${tag}`, '_data'));
    expect(inspected?.Labels).toEqual({ k: 'v' });
    const bad = await docker(['volume', 'create', '-o', 'colour=red', `bad${tag}`]);
    expect(bad.stderr).toContain('invalid option key: "colour"');
    // API 1.43: plain prune removes anonymous volumes only, -a removes all unused.
    const pruned = await docker(['volume', 'prune', '-f']);
    expect(pruned.stdout).toContain(anonymous);
    expect(pruned.stdout).not.toContain(`data${tag}`);
    const all = await docker(['volume', 'prune', '-a', '-f']);
    expect(all.stdout).toContain(`data${tag}`);
    await docker(['volume', 'create', `gone${tag}`]);
    expect(await docker(['volume', 'rm', `gone${tag}`])).toMatchObject({ code: 0 });
    const missing = await docker(['volume', 'rm', `gone${tag}`]);
    expect(missing.stderr).toContain(`no such volume`);
    expect((await docker(['volume', 'ls', '-q'])).stdout.trim()).toBe('');
  });

  it('accepts compose v1 / docker-py bodies with nulls, and answers Docker status codes', async () => {
    const volume = await api('POST', '/v1.41/volumes/create', {
      Name: `py${tag}`,
      Driver: null,
      DriverOpts: null,
      Labels: null,
    });
    expect(volume).toMatchObject({ status: 201, json: { Name: `py${tag}`, Driver: 'local' } });
    const network = await api('POST', '/v1.41/networks/create', {
      Name: `py${tag}`,
      CheckDuplicate: true,
      Driver: null,
      IPAM: null,
      Options: null,
      Labels: { 'com.docker.compose.project': 'py' },
      Internal: false,
      EnableIPv6: false,
    });
    expect(network.status).toBe(201);
    const list = await api(
      'GET',
      `/networks?filters=${encodeURIComponent(JSON.stringify({ label: ['com.docker.compose.project=py'] }))}`,
    );
    expect((list.json as { Name: string }[]).map((n) => n.Name)).toEqual([`py${tag}`]);
    expect(await api('GET', '/networks?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D')).toMatchObject({
      status: 400,
      json: { message: "Invalid filter 'bogus'" },
    });
    expect(await api('POST', '/networks/create', { Name: 7 })).toMatchObject({ status: 400 });
    expect(await api('DELETE', '/networks/host')).toMatchObject({ status: 403 });
    expect(await api('GET', '/networks/nope')).toMatchObject({
      status: 404,
      json: { message: 'network nope not found' },
    });
    expect(await api('GET', '/volumes/nope')).toMatchObject({
      status: 404,
      json: { message: 'get nope: no such volume' },
    });
    expect(await api('DELETE', `/networks/py${tag}`)).toMatchObject({ status: 204 });
    expect(await api('DELETE', `/volumes/py${tag}`)).toMatchObject({ status: 204 });
    expect(await api('DELETE', `/volumes/py${tag}?force=1`)).toMatchObject({ status: 204 });
  });
});
