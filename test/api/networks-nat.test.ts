// Outbound NAT, internal networks and masquerade opt-out, proven with traffic: the "host" is a
// namespace the test makes (the service runs its links and iptables there) and the "outside
// world" is a second namespace that has no route back to container subnets, so a container only
// gets answers when MASQUERADE rewrote its packets.
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
  linkNamespaces,
} from './helpers/netns';

const tag = uniqueTag();
const hostNs = `bt${tag}-nathost`;
const outsideNs = `bt${tag}-outside`;
const namespacePrefix = `bt${tag}-n-`;
const outsideAddress = '198.51.100.2';

async function reaches(namespace: string, address: string): Promise<boolean> {
  try {
    await inNamespace(namespace, ['busybox', 'ping', '-c', '1', '-W', '1', address], 10_000);
    return true;
  } catch {
    return false;
  }
}

describe('outbound NAT and internal networks, with real traffic between namespaces', () => {
  let dataRoot: string;
  let service: NetworkService | undefined;
  const ids = { out: '', sealed: '', plain: '' };
  for (const key of Object.keys(ids) as (keyof typeof ids)[])
    ids[key] = randomBytes(32).toString('hex');
  const nsOf = (id: string) => `${namespacePrefix}${id.slice(0, 12)}`;

  beforeAll(async () => {
    dataRoot = await mkdtemp(join(tmpdir(), 'berth-nat-'));
    await createTestNamespace(hostNs);
    await createTestNamespace(outsideNs);
    await linkNamespaces(hostNs, '198.51.100.1/24', outsideNs, `${outsideAddress}/24`);
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
      for (const id of Object.values(ids)) await service.detach(id).catch(() => undefined);
      await service.shutdown().catch(() => undefined);
    }
    await deleteTestNamespace(hostNs);
    await deleteTestNamespace(outsideNs);
    await rm(dataRoot, { recursive: true, force: true });
    const namespaces = (await snapshotHostNetwork()).namespaces;
    expect(namespaces.filter((name) => name.includes(`bt${tag}`))).toEqual([]);
  });

  it('turns on forwarding in the host namespace', async () => {
    expect((await inNamespace(hostNs, ['cat', '/proc/sys/net/ipv4/ip_forward'])).trim()).toBe('1');
  });

  it('masquerades containers on a normal bridge network', async () => {
    const s = service as NetworkService;
    await s.create({ Name: 'out', IPAM: { Config: [{ Subnet: '10.215.0.0/24' }] } });
    await s.attach(ids.out, 'out-c', 'out', null);
    expect(await reaches(nsOf(ids.out), outsideAddress)).toBe(true);
  });

  it('gives internal networks and networks without masquerade no way out', async () => {
    const s = service as NetworkService;
    await s.create({
      Name: 'sealed',
      Internal: true,
      IPAM: { Config: [{ Subnet: '10.216.0.0/24' }] },
    });
    await s.create({
      Name: 'plain',
      Options: { 'com.docker.network.bridge.enable_ip_masquerade': 'false' },
      IPAM: { Config: [{ Subnet: '10.217.0.0/24' }] },
    });
    const sealed = await s.attach(ids.sealed, 'sealed-c', 'sealed', null);
    await s.attach(ids.plain, 'plain-c', 'plain', null);
    expect(await reaches(nsOf(ids.sealed), outsideAddress)).toBe(false);
    expect(await reaches(nsOf(ids.plain), outsideAddress)).toBe(false);
    // Isolation: the normal network cannot reach into the internal one either.
    expect(await reaches(nsOf(ids.out), sealed.endpoints['sealed']?.IPAddress as string)).toBe(
      false,
    );
  });

  it('removes every link and rule it made', async () => {
    const s = service as NetworkService;
    for (const id of Object.values(ids)) await s.detach(id);
    for (const name of ['out', 'sealed', 'plain']) await s.remove(name);
    await s.shutdown();
    service = undefined;
    const links = JSON.parse(await run('ip', ['-n', hostNs, '-j', 'link', 'show'])) as {
      ifname: string;
    }[];
    expect(links.map((l) => l.ifname).sort()).toEqual(['lo', 'up0']);
    expect(
      (await iptablesRules(hostNs)).filter(
        (line) => line.includes('BERTH') || line.includes('MASQUERADE'),
      ),
    ).toEqual([]);
  });
});
