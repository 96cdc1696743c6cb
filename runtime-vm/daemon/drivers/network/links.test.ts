import { describe, expect, it } from 'vitest';
import { bridgeMac, Links } from './links';

function recorder(failOn?: RegExp) {
  const calls: string[] = [];
  const run = async (file: string, args: readonly string[], input?: string) => {
    const line = `${file} ${args.join(' ')}${input ? ` <<${input.trim().replace(/\n/g, ' ; ')}` : ''}`;
    calls.push(line);
    if (failOn?.test(line)) throw new Error(`Device "${args.at(-1)}" does not exist.`);
    if (args.includes('route') && args.includes('-j')) {
      return JSON.stringify([{ dst: 'default' }, { dst: '192.0.2.0/24' }, { dst: '10.1.2.3' }]);
    }
    return '';
  };
  return { calls, run };
}

describe('links', () => {
  it('reads host routes as CIDRs, skipping the default route', async () => {
    const { run } = recorder();
    const routes = await new Links(undefined, run).hostRoutes();
    expect(routes.map((r) => [r.network >>> 24, r.prefix])).toEqual([
      [192, 24],
      [10, 32],
    ]);
  });

  it('creates a missing bridge with its MTU, gateway address, and brings it up', async () => {
    const { calls, run } = recorder(/link show dev br0/);
    await new Links(undefined, run).ensureBridge('br0', '10.0.0.1/24', 1400);
    expect(calls).toEqual([
      'ip link show dev br0',
      `ip link add name br0 address ${bridgeMac('br0')} mtu 1400 type bridge`,
      'ip addr replace 10.0.0.1/24 dev br0',
      'ip link set dev br0 up',
    ]);
  });

  it('derives stable, locally administered bridge MACs', () => {
    expect(bridgeMac('berth0')).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(bridgeMac('berth0')).toBe(bridgeMac('berth0'));
    expect(bridgeMac('berth0')).not.toBe(bridgeMac('br-0123456789ab'));
  });

  it('wires a veth endpoint in two batches and scopes host commands to a test namespace', async () => {
    const { calls, run } = recorder();
    const hostEnd = await new Links('fakehost', run).addVethEndpoint('br0', 'ctr', {
      name: 'eth0',
      address: '10.0.0.2',
      prefix: 24,
      mac: '02:42:0a:00:00:02',
      defaultGateway: '10.0.0.1',
    });
    expect(hostEnd).toMatch(/^veth[0-9a-f]{7}$/);
    expect(calls).toEqual([
      `ip -n fakehost -batch - <<link add name ${hostEnd} type veth peer name eth0 netns ctr ; link set dev ${hostEnd} master br0 up`,
      'ip -n ctr -batch - <<link set dev lo up ; link set dev eth0 address 02:42:0a:00:00:02 ; addr add 10.0.0.2/24 dev eth0 ; link set dev eth0 up ; route replace default via 10.0.0.1',
    ]);
  });

  it('creates the namespace in the host batch, and reuses one a crash left', async () => {
    const calls: string[] = [];
    let failFirst = true;
    const run = async (file: string, args: readonly string[], input?: string) => {
      calls.push(
        `${file} ${args.join(' ')}${input ? ` <<${input.trim().split('\n').join(' ; ')}` : ''}`,
      );
      if (failFirst && input?.startsWith('netns add')) {
        failFirst = false;
        throw new Error('Cannot create namespace file "/var/run/netns/ctr": File exists');
      }
      return '';
    };
    const iface = { name: 'eth0', address: '10.0.0.2', prefix: 24, mac: '02:42:0a:00:00:02' };
    const hostEnd = await new Links(undefined, run).addVethEndpoint('br0', 'ctr', iface, {
      createNamespace: true,
    });
    const link = `link add name ${hostEnd} type veth peer name eth0 netns ctr ; link set dev ${hostEnd} master br0 up`;
    expect(calls.slice(0, 2)).toEqual([
      `ip -batch - <<netns add ctr ; ${link}`,
      `ip -batch - <<${link}`,
    ]);
    expect(calls[2]).toMatch(/^ip -n ctr -batch - <<link set dev lo up/);
  });

  it('reuses a namespace left by a crash', async () => {
    const calls: string[] = [];
    const run = async (file: string, args: readonly string[]) => {
      calls.push(`${file} ${args.join(' ')}`);
      if (args[1] === 'add')
        throw new Error('Cannot create namespace file "/run/netns/x": File exists');
      return '';
    };
    expect(await new Links(undefined, run).createNamespace('x')).toBe('/var/run/netns/x');
    expect(calls).toEqual(['ip netns add x', 'ip -n x link set dev lo up']);
  });
});
