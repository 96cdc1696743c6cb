import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageSummary } from '../images/views';
import { SystemService } from './system-service';

const image: ImageSummary = {
  Id: 'sha256:' + 'b'.repeat(64),
  ParentId: '',
  RepoTags: ['busybox:latest'],
  RepoDigests: [],
  Created: 1,
  Size: 4096,
  SharedSize: -1,
  Labels: {},
  Containers: 0,
};

describe('SystemService per API version', () => {
  let dataRoot: string;
  let service: SystemService;

  beforeAll(async () => {
    dataRoot = await mkdtemp(join(tmpdir(), 'berth-system-'));
    service = new SystemService({
      dataRoot,
      apiVersion: '1.45',
      minApiVersion: '1.24',
      images: { usage: async () => ({ count: 1, layersSize: 4096, images: [image] }) },
      eventListeners: () => 0,
      runtimePath: '/usr/sbin/runc',
      runtime: {
        runtimeName: 'runc',
        status: async () => ({ 'org.opencontainers.runtime-spec.features': '{"mountOptions":[]}' }),
      },
      defaultAddressPools: [{ base: '10.10.0.0/16', size: 24 }],
    });
    await service.init();
  });

  afterAll(async () => {
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('shows CDISpecDirs, DefaultAddressPools and Runtimes[].status from 1.44 on', async () => {
    const info = await service.info('1.45');
    expect(info['CDISpecDirs']).toEqual([]);
    expect(info['DefaultAddressPools']).toEqual([{ Base: '10.10.0.0/16', Size: 24 }]);
    expect(info['DefaultRuntime']).toBe('runc');
    expect(info['Runtimes']).toEqual({
      runc: {
        path: '/usr/sbin/runc',
        status: { 'org.opencontainers.runtime-spec.features': '{"mountOptions":[]}' },
      },
    });
    expect((await service.info('1.43'))['Runtimes']).toEqual({
      runc: { path: '/usr/sbin/runc' },
    });
  });

  it('leaves DefaultAddressPools out when none are configured', async () => {
    const plain = new SystemService({
      dataRoot,
      apiVersion: '1.45',
      minApiVersion: '1.24',
      images: { usage: async () => ({ count: 0, layersSize: 0, images: [] }) },
      eventListeners: () => 0,
    });
    const info = await plain.info();
    expect(info).not.toHaveProperty('DefaultAddressPools');
    expect(info['Runtimes']).toEqual({ runc: { path: 'runc', status: {} } });
  });

  it('system df images carry VirtualSize only below 1.44', async () => {
    const current = (await service.diskUsage('1.45'))['Images'] as object[];
    expect(current[0]).not.toHaveProperty('VirtualSize');
    const old = (await service.diskUsage('1.43'))['Images'] as ImageSummary[];
    expect(old[0]?.VirtualSize).toBe(4096);
  });
});
