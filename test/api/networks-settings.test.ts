// Daemon-wide network settings through the built berthd: --bip / "bip" place the default bridge,
// --default-address-pool / "default-address-pools" feed the subnets of new networks, a changed
// bip moves the bridge at the next start, and bad values stop berthd with a message naming them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { run, snapshotHostNetwork, uniqueTag } from './helpers/netns';
import { instanceNetworkNames } from '../../runtime-vm/daemon/services/networks/network-service';

const tag = uniqueTag();

interface NetworkView {
  IPAM: { Config: { Subnet: string; Gateway?: string }[] };
}

async function ipamOf(cli: DockerCli, name: string) {
  const [network] = JSON.parse(await cli.ok(['network', 'inspect', name])) as NetworkView[];
  return network?.IPAM.Config[0];
}

async function bridgeAddresses(bridge: string): Promise<string[]> {
  const [link] = JSON.parse(await run('ip', ['-j', '-4', 'addr', 'show', 'dev', bridge])) as {
    addr_info: { local: string; prefixlen: number }[];
  }[];
  return (link?.addr_info ?? []).map((entry) => `${entry.local}/${entry.prefixlen}`);
}

describe('bip and default address pools', () => {
  let berthd: RunningBerthd | undefined;
  let cli: DockerCli | undefined;

  afterAll(async () => {
    if (cli) await cli.run(['network', 'prune', '-f']);
    cli?.dispose();
    const names = berthd ? instanceNetworkNames(berthd.dataRoot) : undefined;
    await berthd?.stop();
    if (!names) return;
    const after = await snapshotHostNetwork();
    expect(after.links.filter((link) => link === names.defaultBridgeName)).toEqual([]);
    expect(after.iptables.filter((line) => line.includes(names.chainPrefix))).toEqual([]);
  });

  it('places the default bridge and new networks as configured, and moves the bridge on a new bip', async () => {
    const pools = [{ base: '10.248.0.0/16', size: 24 }];
    berthd = await startBerthd({
      config: { bip: '10.247.5.1/24', 'default-address-pools': pools },
    });
    cli = new DockerCli(berthd.socket);
    const bridgeName = instanceNetworkNames(berthd.dataRoot).defaultBridgeName;
    expect(await ipamOf(cli, 'bridge')).toEqual({ Subnet: '10.247.5.0/24', Gateway: '10.247.5.1' });
    expect(await bridgeAddresses(bridgeName)).toEqual(['10.247.5.1/24']);

    await cli.ok(['network', 'create', `pool${tag}`]);
    await cli.ok(['network', 'create', `pool2${tag}`]);
    expect((await ipamOf(cli, `pool${tag}`))?.Subnet).toBe('10.248.0.0/24');
    expect((await ipamOf(cli, `pool2${tag}`))?.Subnet).toBe('10.248.1.0/24');
    await cli.ok(['network', 'rm', `pool2${tag}`]);

    // Another bip: the bridge moves at the next start.
    writeFileSync(
      join(berthd.root, 'daemon.json'),
      JSON.stringify({ bip: '10.247.6.1/25', 'default-address-pools': pools }),
    );
    await berthd.restart();
    expect(await ipamOf(cli, 'bridge')).toEqual({ Subnet: '10.247.6.0/25', Gateway: '10.247.6.1' });
    expect(await bridgeAddresses(bridgeName)).toEqual(['10.247.6.1/25']);
    expect((await ipamOf(cli, `pool${tag}`))?.Subnet).toBe('10.248.0.0/24');
    await cli.ok(['network', 'rm', `pool${tag}`]);
  });

  it('takes the same settings as flags', async () => {
    const flagged = await startBerthd({
      args: ['--bip', '10.247.8.1/24', '--default-address-pool', 'base=10.250.0.0/16,size=26'],
    });
    const flaggedCli = new DockerCli(flagged.socket);
    try {
      expect(await ipamOf(flaggedCli, 'bridge')).toEqual({
        Subnet: '10.247.8.0/24',
        Gateway: '10.247.8.1',
      });
      await flaggedCli.ok(['network', 'create', `flag${tag}`]);
      expect((await ipamOf(flaggedCli, `flag${tag}`))?.Subnet).toBe('10.250.0.0/26');
      await flaggedCli.ok(['network', 'rm', `flag${tag}`]);
    } finally {
      flaggedCli.dispose();
      await flagged.stop();
    }
  });

  it('refuses to start with a bip or pool that makes no sense, naming it', async () => {
    await expect(startBerthd({ args: ['--bip', '10.247.7.0/24'] })).rejects.toThrow(
      'invalid bip 10.247.7.0/24',
    );
    await expect(
      startBerthd({ args: ['--default-address-pool', 'base=10.249.0.0/16'] }),
    ).rejects.toThrow('invalid --default-address-pool base=10.249.0.0/16');
    await expect(
      startBerthd({ config: { 'default-address-pools': [{ base: '10.249.0.0/16', size: 8 }] } }),
    ).rejects.toThrow('invalid default address pool 10.249.0.0/16: size 8');
  });
});
