// Containers on berthd's networks through the docker CLI: published ports answered from
// 127.0.0.1, names and aliases resolved by the embedded DNS between containers on a user network,
// isolation from another network, named volumes, and no kernel leftovers after the daemon stops.
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestRegistry } from '../fixtures/registry';
import type { RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { run, uniqueTag } from './helpers/netns';
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

afterAll(() => stopNetworkSuite({ registry, berthd, cli, names }, { pruneVolumes: true }));

async function runToEnd(args: string[]): Promise<{ id: string; code: number; log: string }> {
  const id = (await cli.ok(['run', '-d', ...args])).trim();
  const code = Number((await cli.ok(['wait', id])).trim());
  const log = berthd.containerOutput(id);
  await cli.ok(['rm', id]);
  return { id, code, log };
}

async function httpGet(url: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await (await fetch(url)).text();
    } catch (error) {
      // httpd inside may need a moment after `docker run -d` returns.
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('containers on berthd networks', () => {
  it('publishes a port on 127.0.0.1 and reports it in inspect and docker port', async () => {
    const id = (
      await cli.ok([
        'run',
        '-d',
        '-p',
        '127.0.0.1::8080',
        image,
        'sh',
        '-c',
        `mkdir -p /www && echo hello-${tag} > /www/index.html && exec httpd -f -p 8080 -h /www`,
      ])
    ).trim();
    const port = (await cli.ok(['port', id, '8080/tcp'])).trim();
    expect(port).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await httpGet(`http://${port}/index.html`)).toBe(`hello-${tag}\n`);
    const [inspected] = JSON.parse(await cli.ok(['inspect', id])) as {
      NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> };
    }[];
    expect(inspected?.NetworkSettings.Networks['bridge']?.IPAddress).toMatch(
      /^\d+\.\d+\.\d+\.\d+$/,
    );
    await cli.ok(['rm', '-f', id]);
    await expect(fetch(`http://${port}/`)).rejects.toThrow();
  });

  it('keeps the published port of a running container across a daemon restart, and frees it on stop', async () => {
    const id = (
      await cli.ok([
        'run',
        '-d',
        '-p',
        '127.0.0.1::8081',
        image,
        'sh',
        '-c',
        `mkdir -p /www && echo again-${tag} > /www/index.html && exec httpd -f -p 8081 -h /www`,
      ])
    ).trim();
    const port = (await cli.ok(['port', id, '8081/tcp'])).trim();
    expect(await httpGet(`http://${port}/index.html`)).toBe(`again-${tag}\n`);
    await berthd.restart();
    expect((await cli.ok(['port', id, '8081/tcp'])).trim()).toBe(port);
    expect(await httpGet(`http://${port}/index.html`)).toBe(`again-${tag}\n`);
    await cli.ok(['stop', '-t', '1', id]);
    await expect(fetch(`http://${port}/`)).rejects.toThrow();
    await cli.ok(['rm', id]);
  });

  it("frees a --rm container's published port before run returns, so the next run can take it", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    for (let round = 0; round < 3; round++) {
      await cli.ok(['run', '--rm', '-p', `127.0.0.1:${port}:80`, image, 'true']);
    }
    // Nothing holds it now: the host can bind it.
    const after = createServer();
    await new Promise<void>((resolve, reject) => {
      after.once('error', reject);
      after.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => after.close(() => resolve()));
  });

  it('resolves names and aliases on a user network, and isolates other networks', async () => {
    await cli.ok(['network', 'create', `app${tag}`]);
    await cli.ok(['network', 'create', `other${tag}`]);
    await cli.ok([
      'run',
      '-d',
      '--name',
      `db${tag}`,
      '--network',
      `app${tag}`,
      '--network-alias',
      'database',
      image,
      'sleep',
      '300',
    ]);
    const [db] = JSON.parse(await cli.ok(['inspect', `db${tag}`])) as {
      NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
    }[];
    const dbIp = db?.NetworkSettings.Networks[`app${tag}`]?.IPAddress as string;
    const lookup = await runToEnd([
      '--network',
      `app${tag}`,
      image,
      'sh',
      '-c',
      `nslookup db${tag}; nslookup database; ping -c1 -W2 database`,
    ]);
    expect(lookup.log).toContain(dbIp);
    expect(lookup.log).toContain('1 packets received');
    expect(lookup.code).toBe(0);
    const isolated = await runToEnd([
      '--network',
      `other${tag}`,
      image,
      'ping',
      '-c1',
      '-W1',
      dbIp,
    ]);
    expect(isolated.code).not.toBe(0);
    const busy = await cli.run(['network', 'rm', `app${tag}`]);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toContain('has active endpoints');
    await cli.ok(['rm', '-f', `db${tag}`]);
    await cli.ok(['network', 'rm', `app${tag}`, `other${tag}`]);
  });

  it('connects a running container to a second network', async () => {
    await cli.ok(['network', 'create', `second${tag}`]);
    const id = (await cli.ok(['run', '-d', '--name', `multi${tag}`, image, 'sleep', '300'])).trim();
    const namespace = `${names.namespacePrefix}${id.slice(0, 12)}`;
    await cli.ok(['network', 'connect', '--alias', 'extra', `second${tag}`, `multi${tag}`]);
    expect(await run('ip', ['-n', namespace, '-br', 'link'])).toContain('eth1');
    const [connected] = JSON.parse(await cli.ok(['inspect', id])) as {
      NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
    }[];
    expect(connected?.NetworkSettings.Networks[`second${tag}`]?.Aliases).toContain('extra');
    await cli.ok(['network', 'disconnect', `second${tag}`, `multi${tag}`]);
    expect(await run('ip', ['-n', namespace, '-br', 'link'])).not.toContain('eth1');
    await cli.ok(['rm', '-f', `multi${tag}`]);
    await cli.ok(['network', 'rm', `second${tag}`]);
  });

  it('keeps named volume data between containers and removes anonymous ones with rm -v', async () => {
    const write = await runToEnd([
      '-v',
      `data${tag}:/data`,
      image,
      'sh',
      '-c',
      `echo kept-${tag} > /data/f`,
    ]);
    expect(write.code).toBe(0);
    const read = await runToEnd(['-v', `data${tag}:/data:ro`, image, 'cat', '/data/f']);
    expect(read.log.trim()).toBe(`kept-${tag}`);
    const inUse = await cli.run([
      'run',
      '-d',
      '-v',
      `data${tag}:/data`,
      '-v',
      '/anon',
      image,
      'sleep',
      '300',
    ]);
    const id = inUse.stdout.trim();
    const busy = await cli.run(['volume', 'rm', `data${tag}`]);
    expect(busy.stderr).toContain('volume is in use');
    const before = (await cli.ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean);
    expect(before).toHaveLength(2);
    await cli.ok(['rm', '-f', '-v', id]);
    expect((await cli.ok(['volume', 'ls', '-q'])).trim()).toBe(`data${tag}`);
    await cli.ok(['volume', 'rm', `data${tag}`]);
  });
});
