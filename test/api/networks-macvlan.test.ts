// macvlan networks, with the whole "host" side inside a namespace the test makes: its veth end
// is the macvlan parent, so nothing touches the real host's interfaces. The same run checks the
// service builds its default bridge and iptables chains inside that namespace and removes them.
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkService } from '../../runtime-vm/daemon/services/networks/network-service';
import {
  createTestNamespace,
  deleteTestNamespace,
  inNamespace,
  iptablesRules,
  run,
  snapshotHostNetwork,
  uniqueTag,
} from './helpers/netns';

const tag = uniqueTag();
const hostNs = `bt${tag}-host`;
const namespacePrefix = `bt${tag}-c-`;

describe('macvlan networks inside a test namespace', () => {
  let dataRoot: string;
  let service: NetworkService;
  const ids = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];

  beforeAll(async () => {
    dataRoot = await mkdtemp(join(tmpdir(), 'berth-macvlan-'));
    await createTestNamespace(hostNs, 'dummy0');
    service = new NetworkService({
      dataRoot,
      hostNamespace: hostNs,
      namespacePrefix,
      chainPrefix: 'BERTH',
      defaultBridgeName: 'berth0',
    });
    await service.start();
  });

  afterAll(async () => {
    if (service) {
      for (const id of ids) await service.detach(id).catch(() => undefined);
      await service.shutdown().catch(() => undefined);
    }
    await deleteTestNamespace(hostNs);
    await rm(dataRoot, { recursive: true, force: true });
    const after = await snapshotHostNetwork();
    expect(after.namespaces.filter((name) => name.includes(`bt${tag}`))).toEqual([]);
  });

  it('refuses macvlan without a usable parent and overlay outright', async () => {
    await expect(service.create({ Name: 'mv', Driver: 'macvlan' })).rejects.toThrow(
      'macvlan networks need a parent interface',
    );
    await expect(
      service.create({ Name: 'mv', Driver: 'macvlan', Options: { parent: 'nope0' } }),
    ).rejects.toThrow('-o parent interface was not found on the host: nope0');
    await expect(
      service.create({
        Name: 'mv',
        Driver: 'macvlan',
        Options: { parent: 'dummy0', macvlan_mode: 'odd' },
      }),
    ).rejects.toThrow('macvlan_mode odd is not one of');
    await expect(service.create({ Name: 'ov', Driver: 'overlay' })).rejects.toThrow(
      'use a Kubernetes or Swarm cluster',
    );
  });

  it('attaches containers with macvlan interfaces that reach each other', async () => {
    await service.create({
      Name: 'mv',
      Driver: 'macvlan',
      Options: { parent: 'dummy0' },
      IPAM: { Config: [{ Subnet: '10.77.0.0/24', Gateway: '10.77.0.1' }] },
    });
    const inspected = service.inspect('mv');
    expect(inspected.Driver).toBe('macvlan');
    expect(inspected.Options).toEqual({ parent: 'dummy0' });
    const first = await service.attach(ids[0] as string, 'one', 'mv', null);
    const second = await service.attach(ids[1] as string, 'two', 'mv', {
      mv: { IPAMConfig: { IPv4Address: '10.77.0.50' } },
    });
    expect(first.endpoints['mv']?.IPAddress).toBe('10.77.0.2');
    expect(second.endpoints['mv']?.IPAddress).toBe('10.77.0.50');
    const ns1 = `${namespacePrefix}${(ids[0] as string).slice(0, 12)}`;
    const details = JSON.parse(
      await run('ip', ['-n', ns1, '-j', '-d', 'link', 'show', 'eth0']),
    ) as {
      linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
    }[];
    expect(details[0]?.linkinfo?.info_kind).toBe('macvlan');
    expect(details[0]?.linkinfo?.info_data?.mode).toBe('bridge');
    expect(
      await inNamespace(ns1, ['busybox', 'ping', '-c', '1', '-W', '2', '10.77.0.50']),
    ).toContain('1 packets received');
    // The host side only has its parent pair and the default bridge; the children moved away.
    const hostLinks = JSON.parse(await run('ip', ['-n', hostNs, '-j', 'link', 'show'])) as {
      ifname: string;
    }[];
    expect(hostLinks.map((l) => l.ifname).sort()).toEqual(['berth0', 'dummy0', 'dummy0p', 'lo']);
    expect((await iptablesRules(hostNs)).join('\n')).toContain('-A FORWARD -j BERTH-FORWARD');
    await expect(service.remove('mv')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('cleans up the namespaces, the bridge and the chains it made', async () => {
    for (const id of ids) await service.detach(id);
    await service.remove('mv');
    await service.shutdown();
    const hostLinks = JSON.parse(await run('ip', ['-n', hostNs, '-j', 'link', 'show'])) as {
      ifname: string;
    }[];
    expect(hostLinks.map((l) => l.ifname).sort()).toEqual(['dummy0', 'dummy0p', 'lo']);
    expect((await iptablesRules(hostNs)).filter((line) => line.includes('BERTH'))).toEqual([]);
    const namespaces = (await snapshotHostNetwork()).namespaces;
    expect(namespaces.filter((name) => name.startsWith(namespacePrefix))).toEqual([]);
  });
});
