// Dual-stack user networks through the built berthd and the docker CLI: `--ipv6 --subnet`
// gives the bridge an IPv6 gateway and every container an IPv6 address (allocated or --ip6),
// reported in inspect, reachable from a peer, and answered by the embedded DNS as AAAA.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestRegistry } from '../fixtures/registry';
import type { RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { run, uniqueTag } from './helpers/netns';
import type { instanceNetworkNames } from '../../runtime-vm/daemon/services/networks/network-service';
import { startNetworkSuite, stopNetworkSuite } from './helpers/network-suite';

const tag = uniqueTag();
// A group without leading zeros, so the text is already in the canonical form berthd reports.
const prefix = `fd42:${(parseInt(tag.slice(0, 4), 16) | 0x1000).toString(16)}:`;
const subnet6 = `${prefix}:/64`;
let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let image: string;
let names: ReturnType<typeof instanceNetworkNames>;

beforeAll(async () => {
  ({ registry, berthd, cli, image, names } = await startNetworkSuite());
});

afterAll(() => stopNetworkSuite({ registry, berthd, cli, names }));

interface Endpoint {
  IPAddress: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPv6Gateway: string;
  IPAMConfig: { IPv6Address?: string } | null;
}

async function endpointOf(container: string, network: string): Promise<Endpoint> {
  const [value] = JSON.parse(await cli.ok(['inspect', container])) as {
    NetworkSettings: { Networks: Record<string, Endpoint> };
  }[];
  return value?.NetworkSettings.Networks[network] as Endpoint;
}

describe('IPv6 on user-defined networks', () => {
  it('creates a dual-stack network, addresses containers and lets them reach each other', async () => {
    const net = `six${tag}`;
    await cli.ok(['network', 'create', '--ipv6', '--subnet', subnet6, net]);
    const [network] = JSON.parse(await cli.ok(['network', 'inspect', net])) as {
      Id: string;
      EnableIPv6: boolean;
      IPAM: { Config: { Subnet: string; Gateway?: string }[] };
    }[];
    expect(network?.EnableIPv6).toBe(true);
    expect(network?.IPAM.Config).toContainEqual({ Subnet: subnet6, Gateway: `${prefix}:1` });
    expect(network?.IPAM.Config.some((entry) => !entry.Subnet.includes(':'))).toBe(true);
    const bridge = `br-${network?.Id.slice(0, 12)}`;
    expect(await run('ip', ['-6', 'addr', 'show', 'dev', bridge])).toContain(`${prefix}:1/64`);

    await cli.ok(['run', '-d', '--name', `a${tag}`, '--network', net, image, 'sleep', '600']);
    await cli.ok([
      'run',
      '-d',
      '--name',
      `b${tag}`,
      '--network',
      net,
      '--ip6',
      `${prefix}:99`,
      image,
      'sleep',
      '600',
    ]);
    const a = await endpointOf(`a${tag}`, net);
    expect(a.GlobalIPv6Address).toBe(`${prefix}:2`);
    expect(a.GlobalIPv6PrefixLen).toBe(64);
    expect(a.IPv6Gateway).toBe(`${prefix}:1`);
    const b = await endpointOf(`b${tag}`, net);
    expect(b.GlobalIPv6Address).toBe(`${prefix}:99`);
    expect(b.IPAMConfig?.IPv6Address).toBe(`${prefix}:99`);

    const route = await cli.ok(['exec', `b${tag}`, 'ip', '-6', 'route', 'show', 'default']);
    expect(route).toContain(`via ${prefix}:1`);
    await cli.ok(['exec', `b${tag}`, 'ping6', '-c', '1', '-W', '3', a.GlobalIPv6Address]);
    const aaaa = await cli.ok(['exec', `b${tag}`, 'nslookup', '-type=aaaa', `a${tag}`]);
    expect(aaaa).toContain(`${prefix}:2`);

    // Addresses come back to the pool when containers go.
    await cli.ok(['rm', '-f', `a${tag}`]);
    await cli.ok(['run', '-d', '--name', `c${tag}`, '--network', net, image, 'sleep', '600']);
    expect((await endpointOf(`c${tag}`, net)).GlobalIPv6Address).toBe(`${prefix}:2`);
    await cli.ok(['rm', '-f', `b${tag}`, `c${tag}`]);
    await cli.ok(['network', 'rm', net]);
  });

  it('names what is missing in an IPv6 request', async () => {
    const noSubnet = await cli.run(['network', 'create', '--ipv6', `nosub${tag}`]);
    expect(noSubnet.code).not.toBe(0);
    expect(noSubnet.stderr).toContain('needs an IPv6 subnet');
    const noFlag = await cli.run(['network', 'create', '--subnet', subnet6, `noflag${tag}`]);
    expect(noFlag.code).not.toBe(0);
    expect(noFlag.stderr).toContain('without --ipv6');
    const v4Only = `v4${tag}`;
    await cli.ok(['network', 'create', v4Only]);
    await cli.ok(['network', 'create', '--ipv6', '--subnet', subnet6, `dual${tag}`]);
    const ip6OnV4 = await cli.run([
      'create',
      '--network',
      v4Only,
      '--ip6',
      `${prefix}:5`,
      image,
      'true',
    ]);
    // Refused at create (API 1.44 validates endpoints there), naming the network.
    expect(ip6OnV4.code).not.toBe(0);
    expect(ip6OnV4.stderr).toContain(`network ${v4Only} has no IPv6 subnet`);
    const outside = await cli.run([
      'create',
      '--network',
      `dual${tag}`,
      '--ip6',
      'fd99::5',
      image,
      'true',
    ]);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain('no configured subnet contains the IP address fd99::5');
    expect((await cli.ok(['ps', '-aq'])).trim()).toBe('');
    await cli.ok(['network', 'rm', v4Only, `dual${tag}`]);
  });
});
