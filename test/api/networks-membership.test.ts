// Which networks a container belongs to, through the built berthd and the docker CLI: a
// disconnect takes the network out of inspect and out of the next start, and a container created
// on several networks at once (`docker run --network a --network b`, several EndpointsConfig
// entries in one create) gets one interface per network.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestRegistry } from '../fixtures/registry';
import type { RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { uniqueTag } from './helpers/netns';
import type { instanceNetworkNames } from '../../runtime-vm/daemon/services/networks/network-service';
import { startNetworkSuite, stopNetworkSuite } from './helpers/network-suite';

const tag = uniqueTag();
let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let image: string;
let names: ReturnType<typeof instanceNetworkNames>;

beforeAll(async () => {
  ({ registry, berthd, cli, image, names } = await startNetworkSuite());
});

afterAll(() => stopNetworkSuite({ registry, berthd, cli, names }));

interface Inspected {
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}

async function inspect(ref: string): Promise<Inspected> {
  const [value] = JSON.parse(await cli.ok(['inspect', ref])) as Inspected[];
  return value as Inspected;
}

/** The container's interfaces with their IPv4 addresses, as `ip -o -4 addr` shows them inside. */
async function addressesInside(ref: string): Promise<string[]> {
  const out = await cli.ok(['exec', ref, 'ip', '-o', '-4', 'addr', 'show']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const fields = line.trim().split(/\s+/);
      return `${fields[1]} ${(fields[3] ?? '').split('/')[0]}`;
    })
    .filter((entry) => !entry.startsWith('lo '))
    .sort();
}

describe('network membership of containers', () => {
  it('drops a disconnected network from inspect, and does not rejoin it on restart', async () => {
    await cli.ok(['network', 'create', '--subnet', '10.231.1.0/24', `dis${tag}`]);
    await cli.ok(['network', 'create', '--subnet', '10.231.2.0/24', `keep${tag}`]);
    await cli.ok([
      'run',
      '-d',
      '--name',
      `dis${tag}`,
      '--network',
      `dis${tag}`,
      image,
      'sleep',
      '600',
    ]);
    await cli.ok(['network', 'connect', `keep${tag}`, `dis${tag}`]);
    expect(Object.keys((await inspect(`dis${tag}`)).NetworkSettings.Networks).sort()).toEqual(
      [`dis${tag}`, `keep${tag}`].sort(),
    );

    await cli.ok(['network', 'disconnect', `dis${tag}`, `dis${tag}`]);
    const after = await inspect(`dis${tag}`);
    expect(Object.keys(after.NetworkSettings.Networks)).toEqual([`keep${tag}`]);
    // As in dockerd, NetworkMode keeps what the container was created with.
    expect(after.HostConfig.NetworkMode).toBe(`dis${tag}`);
    const network = JSON.parse(await cli.ok(['network', 'inspect', `dis${tag}`])) as {
      Containers: Record<string, unknown>;
    }[];
    expect(network[0]?.Containers).toEqual({});
    const keepAddress = after.NetworkSettings.Networks[`keep${tag}`]?.IPAddress as string;
    expect(await addressesInside(`dis${tag}`)).toEqual([`eth1 ${keepAddress}`]);

    // Stopped, restarted: still only the remaining network.
    await cli.ok(['stop', '-t', '1', `dis${tag}`]);
    expect(Object.keys((await inspect(`dis${tag}`)).NetworkSettings.Networks)).toEqual([
      `keep${tag}`,
    ]);
    await cli.ok(['start', `dis${tag}`]);
    const restarted = await inspect(`dis${tag}`);
    expect(Object.keys(restarted.NetworkSettings.Networks)).toEqual([`keep${tag}`]);
    const inside = await addressesInside(`dis${tag}`);
    expect(inside).toHaveLength(1);
    expect(inside[0]).toMatch(/^eth0 10\.231\.2\.\d+$/);

    // Disconnecting the last network leaves loopback only; a stopped container can be
    // disconnected too, and asking again names the problem.
    await cli.ok(['network', 'disconnect', `keep${tag}`, `dis${tag}`]);
    expect((await inspect(`dis${tag}`)).NetworkSettings.Networks).toEqual({});
    expect(await addressesInside(`dis${tag}`)).toEqual([]);
    await cli.ok(['rm', '-f', `dis${tag}`]);
    await cli.ok(['network', 'rm', `dis${tag}`, `keep${tag}`]);
  });

  it('forgets a network disconnected while the container is stopped', async () => {
    await cli.ok(['network', 'create', `off${tag}`]);
    await cli.ok([
      'create',
      '--name',
      `off${tag}`,
      '--network',
      `off${tag}`,
      image,
      'sleep',
      '600',
    ]);
    expect(Object.keys((await inspect(`off${tag}`)).NetworkSettings.Networks)).toEqual([
      `off${tag}`,
    ]);
    await cli.ok(['network', 'disconnect', `off${tag}`, `off${tag}`]);
    expect((await inspect(`off${tag}`)).NetworkSettings.Networks).toEqual({});
    await cli.ok(['start', `off${tag}`]);
    expect(await addressesInside(`off${tag}`)).toEqual([]);
    await cli.ok(['network', 'connect', `off${tag}`, `off${tag}`]);
    expect(Object.keys((await inspect(`off${tag}`)).NetworkSettings.Networks)).toEqual([
      `off${tag}`,
    ]);
    await cli.ok(['rm', '-f', `off${tag}`]);
    await cli.ok(['network', 'rm', `off${tag}`]);
  });

  it('creates a container on several networks at once (docker run --network a --network b)', async () => {
    await cli.ok(['network', 'create', '--subnet', '10.231.3.0/24', `front${tag}`]);
    await cli.ok(['network', 'create', '--subnet', '10.231.4.0/24', `back${tag}`]);
    await cli.ok([
      'run',
      '-d',
      '--name',
      `multi${tag}`,
      '--network',
      `front${tag}`,
      '--network',
      'name=' + `back${tag}` + ',alias=store,ip=10.231.4.40',
      image,
      'sleep',
      '600',
    ]);
    const inspected = await inspect(`multi${tag}`);
    expect(Object.keys(inspected.NetworkSettings.Networks).sort()).toEqual(
      [`back${tag}`, `front${tag}`].sort(),
    );
    expect(inspected.NetworkSettings.Networks[`back${tag}`]?.IPAddress).toBe('10.231.4.40');
    const inside = await addressesInside(`multi${tag}`);
    expect(inside).toHaveLength(2);
    // NetworkMode's network is eth0 and carries the default route.
    expect(inside[0]).toMatch(/^eth0 10\.231\.3\.\d+$/);
    expect(inside[1]).toBe('eth1 10.231.4.40');
    const route = await cli.ok(['exec', `multi${tag}`, 'ip', 'route', 'show', 'default']);
    expect(route).toContain('10.231.3.1');

    // The alias resolves on that network only, for a peer on it.
    const peer = await cli.run([
      'run',
      '--rm',
      '--network',
      `back${tag}`,
      image,
      'nslookup',
      'store',
    ]);
    expect(peer.stdout).toContain('10.231.4.40');
    await cli.ok(['rm', '-f', `multi${tag}`]);
    await cli.ok(['network', 'rm', `front${tag}`, `back${tag}`]);
  });

  it('refuses at create: other networks beside none, unknown networks, addresses out of reach', async () => {
    await cli.ok(['network', 'create', `solo${tag}`]);
    const response = await createThroughApi({
      Image: image,
      Cmd: ['true'],
      HostConfig: { NetworkMode: 'none' },
      NetworkingConfig: { EndpointsConfig: { none: {}, [`solo${tag}`]: {} } },
    });
    expect(response.status).toBe(400);
    expect(response.body).toContain(`in none mode: solo${tag}`);
    const unknown = await createThroughApi({
      Image: image,
      NetworkingConfig: { EndpointsConfig: { [`missing${tag}`]: {} } },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain(`network missing${tag} not found`);
    await cli.ok(['network', 'create', '--subnet', '10.231.5.0/24', `fixed${tag}`]);
    const outside = await cli.run([
      'create',
      '--network',
      `fixed${tag}`,
      '--ip',
      '10.231.6.9',
      image,
      'true',
    ]);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain('no configured subnet or ip-range contain the IP address');
    const picked = await cli.run([
      'create',
      '--network',
      `solo${tag}`,
      '--ip',
      '10.231.6.9',
      image,
    ]);
    expect(picked.code).not.toBe(0);
    expect(picked.stderr).toContain('user specified IP address is supported only');
    expect((await cli.ok(['ps', '-aq'])).trim()).toBe('');
    await cli.ok(['network', 'rm', `solo${tag}`, `fixed${tag}`]);
  });
});

function createThroughApi(body: object): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        socketPath: berthd.socket,
        method: 'POST',
        path: '/containers/create',
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
