// Networks and volumes through the built berthd and the docker CLI: CRUD, persistence across a
// daemon restart, and a clean host after the daemon stops (its bridge and iptables chains gone).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { run, snapshotHostNetwork, uniqueTag } from './helpers/netns';
import { instanceNetworkNames } from '../../runtime-vm/daemon/services/networks/network-service';

const tag = uniqueTag();

describe('berthd networks and volumes (docker CLI)', () => {
  let berthd: RunningBerthd;
  let docker: DockerCli;
  let names: ReturnType<typeof instanceNetworkNames>;

  beforeAll(async () => {
    berthd = await startBerthd();
    docker = new DockerCli(berthd.socket);
    names = instanceNetworkNames(berthd.dataRoot);
  });

  afterAll(async () => {
    docker?.dispose();
    await berthd?.stop();
    // After a clean stop nothing of this daemon's is left in the kernel.
    if (!names) return;
    const after = await snapshotHostNetwork();
    expect(after.links.filter((link) => link === names.defaultBridgeName)).toEqual([]);
    expect(after.iptables.filter((line) => line.includes(names.chainPrefix))).toEqual([]);
    expect(after.namespaces.filter((ns) => ns.startsWith(names.namespacePrefix))).toEqual([]);
  });

  it('starts with bridge, host and none, and its own bridge and chains', async () => {
    const ls = await docker.ok(['network', 'ls', '--format', '{{.Name}}/{{.Driver}}']);
    expect(ls.split('\n').filter(Boolean).sort()).toEqual([
      'bridge/bridge',
      'host/host',
      'none/null',
    ]);
    expect(await run('ip', ['-br', 'link', 'show', names.defaultBridgeName])).toContain(
      names.defaultBridgeName,
    );
    expect(await run('iptables-save', [])).toContain(`-A FORWARD -j ${names.chainPrefix}-FORWARD`);
  });

  it('keeps networks, volumes and volume data across a daemon restart', async () => {
    await docker.ok(['network', 'create', '--subnet', '10.218.0.0/24', '--internal', `keep${tag}`]);
    await docker.ok(['volume', 'create', `keep${tag}`]);
    const [volume] = JSON.parse(await docker.ok(['volume', 'inspect', `keep${tag}`])) as {
      Mountpoint: string;
    }[];
    await writeFile(join(volume?.Mountpoint as string, 'marker'), tag);
    const before = JSON.parse(await docker.ok(['network', 'inspect', `keep${tag}`])) as {
      Id: string;
    }[];
    await berthd.restart();
    const after = JSON.parse(await docker.ok(['network', 'inspect', `keep${tag}`])) as {
      Id: string;
      Internal: boolean;
      IPAM: { Config: { Subnet: string }[] };
    }[];
    expect(after[0]?.Id).toBe(before[0]?.Id);
    expect(after[0]?.Internal).toBe(true);
    expect(after[0]?.IPAM.Config[0]?.Subnet).toBe('10.218.0.0/24');
    expect(await run('cat', [join(volume?.Mountpoint as string, 'marker')])).toBe(tag);
    const bridge = `br-${after[0]?.Id.slice(0, 12)}`;
    expect(await run('iptables-save', [])).toContain(`-i ${bridge} ! -o ${bridge} -j DROP`);
    await docker.ok(['network', 'rm', `keep${tag}`]);
    await docker.ok(['volume', 'rm', `keep${tag}`]);
    expect((await snapshotHostNetwork()).links).not.toContain(bridge);
  });

  it('rebuilds its rules exactly once after a crash (kill -9) and restart', async () => {
    await docker.ok(['network', 'create', `crash${tag}`]);
    await berthd.kill9();
    await berthd.restart();
    const rules = (await run('iptables-save', [])).split('\n');
    expect(
      rules.filter((line) => line === `-A FORWARD -j ${names.chainPrefix}-FORWARD`),
    ).toHaveLength(1);
    const [network] = JSON.parse(await docker.ok(['network', 'inspect', `crash${tag}`])) as {
      Id: string;
    }[];
    const bridge = `br-${network?.Id.slice(0, 12)}`;
    expect(
      rules.filter((line) => line.includes(`-s `) && line.includes(`! -o ${bridge} -j MASQUERADE`)),
    ).toHaveLength(1);
    await docker.ok(['network', 'rm', `crash${tag}`]);
  });

  it('reports volumes in system df', async () => {
    await docker.ok(['volume', 'create', `df${tag}`]);
    const verbose = await docker.ok(['system', 'df', '-v']);
    expect(verbose).toMatch(new RegExp(`df${tag}\\s+0\\s+`));
    await docker.ok(['volume', 'rm', `df${tag}`]);
  });
});
