import { describe, expect, it } from 'vitest';
import type { ImageRecord } from '../../store/image-store';
import type { ImageConfigBlob } from './image-config';
import {
  apiAtLeast,
  imageInspectForApi,
  imageSummaryForApi,
  inspectView,
  summaryView,
} from './views';

const record = {
  id: 'sha256:' + 'a'.repeat(64),
  created: '2026-01-01T00:00:00Z',
  size: 1234,
  repoDigests: [],
  layers: [],
} as unknown as ImageRecord;

const config = (extra: Partial<ImageConfigBlob> = {}): ImageConfigBlob => ({
  architecture: 'amd64',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [] },
  container_config: { Cmd: ['/bin/sh'] },
  container: 'abc',
  ...extra,
});

describe('apiAtLeast', () => {
  it('compares minor versions numerically', () => {
    expect(apiAtLeast('1.44', '1.44')).toBe(true);
    expect(apiAtLeast('1.45', '1.44')).toBe(true);
    expect(apiAtLeast('1.9', '1.44')).toBe(false);
    expect(apiAtLeast('1.43', '1.44')).toBe(false);
  });
});

describe('image answers per API version', () => {
  it('the list entry has VirtualSize only below 1.44', () => {
    const summary = summaryView(record, ['busybox:latest'], config(), 0);
    expect(summary).not.toHaveProperty('VirtualSize');
    expect(imageSummaryForApi(summary, '1.44')).not.toHaveProperty('VirtualSize');
    expect(imageSummaryForApi(summary, '1.43')).toMatchObject({ Size: 1234, VirtualSize: 1234 });
  });

  it('inspect drops VirtualSize at 1.44 and Container/ContainerConfig at 1.45', () => {
    const view = inspectView(record, [], config({ created: '2026-01-02T00:00:00Z' }), []);
    const at43 = imageInspectForApi(view, '1.43');
    expect(at43).toMatchObject({ VirtualSize: 1234, Container: 'abc' });
    const at44 = imageInspectForApi(view, '1.44');
    expect(at44).not.toHaveProperty('VirtualSize');
    expect(at44).toMatchObject({ ContainerConfig: { Cmd: ['/bin/sh'] }, Container: 'abc' });
    const at45 = imageInspectForApi(view, '1.45');
    expect(at45).not.toHaveProperty('Container');
    expect(at45).not.toHaveProperty('ContainerConfig');
    expect(at45['Created']).toBe('2026-01-02T00:00:00Z');
  });

  it('omits Created without a date in the config from 1.44 on, zero time before', () => {
    const view = inspectView(record, [], config(), []);
    expect(imageInspectForApi(view, '1.44')).not.toHaveProperty('Created');
    expect(imageInspectForApi(view, '1.43')['Created']).toBe('0001-01-01T00:00:00Z');
  });
});
