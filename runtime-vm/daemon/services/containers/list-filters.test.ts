import { describe, expect, it } from 'vitest';
import { applyFilters } from './list-filters';
import { zeroTime } from './status-text';
import type { ContainerRecord } from './types';

function record(
  id: string,
  name: string,
  extra: {
    status?: string;
    exit?: number;
    created: string;
    labels?: Record<string, string>;
    image?: string;
  },
): ContainerRecord {
  const running = extra.status === 'running';
  return {
    Id: id,
    Name: `/${name}`,
    Created: extra.created,
    Path: 'sh',
    Args: [],
    Config: {
      Image: extra.image ?? 'busybox',
      Env: [],
      Cmd: ['sh'],
      Labels: extra.labels ?? {},
      ExposedPorts: { '80/tcp': {} },
    },
    HostConfig: { NetworkMode: 'bridge', PortBindings: {} },
    Image: `sha256:${id.repeat(64).slice(0, 64)}`,
    ImageName: extra.image ?? 'busybox',
    LayerPaths: [],
    State: {
      Status: (extra.status ?? 'exited') as never,
      Running: running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 0,
      ExitCode: extra.exit ?? 0,
      Error: '',
      StartedAt: extra.status === 'created' ? zeroTime : extra.created,
      FinishedAt: zeroTime,
    },
    RestartCount: 0,
    ManuallyStopped: false,
    HostnamePath: '',
    HostsPath: '',
    ResolvConfPath: '',
    LogPath: '',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    Driver: 'overlay2',
    Platform: 'linux',
  };
}

const records = [
  record('c3', 'web', {
    status: 'running',
    created: '2026-01-03T00:00:00Z',
    labels: { tier: 'front' },
    image: 'nginx:1',
  }),
  record('b2', 'worker', {
    status: 'exited',
    exit: 1,
    created: '2026-01-02T00:00:00Z',
    labels: { tier: 'back' },
  }),
  record('a1', 'fresh', { status: 'created', created: '2026-01-01T00:00:00Z' }),
];
const context = {
  lookup: (ref: string) => records.find((r) => r.Id === ref || r.Name === `/${ref}`),
  imageMatches: (ref: string, r: ContainerRecord) =>
    r.ImageName === ref || `${ref}:latest` === r.ImageName || r.ImageName === ref.split(':')[0],
};
const ids = (filters: Record<string, string[]>) =>
  applyFilters(records, new Map(Object.entries(filters)), context).map((r) => r.Id);

describe('applyFilters', () => {
  it('status, exited, id, name (regex), label', () => {
    expect(ids({ status: ['running', 'created'] })).toEqual(['c3', 'a1']);
    expect(ids({ exited: ['1'] })).toEqual(['b2']);
    expect(ids({ id: ['b'] })).toEqual(['b2']);
    expect(ids({ name: ['^w'] })).toEqual(['c3', 'b2']);
    expect(ids({ label: ['tier'] })).toEqual(['c3', 'b2']);
    expect(ids({ label: ['tier=back'] })).toEqual(['b2']);
  });

  it('before/since, ancestor, expose', () => {
    expect(ids({ before: ['web'] })).toEqual(['b2', 'a1']);
    expect(ids({ since: ['fresh'] })).toEqual(['c3', 'b2']);
    expect(ids({ ancestor: ['nginx:1'] })).toEqual(['c3']);
    expect(ids({ expose: ['80'] })).toEqual(['c3', 'b2', 'a1']);
  });

  it('bad values are 400s', () => {
    expect(() => ids({ status: ['sleeping'] })).toThrow("Invalid filter 'status=sleeping'");
    expect(() => ids({ exited: ['x'] })).toThrow("Invalid filter 'exited=x'");
    expect(() => ids({ before: ['nope'] })).toThrow('No such container: nope');
    expect(() => ids({ name: ['('] })).toThrow('not a regular expression');
  });
});

describe('the network filter', () => {
  it('matches any network the container is on, not only its first', () => {
    const joined = {
      ...record('d4', 'joined', { status: 'running', created: '2026-01-04T00:00:00Z' }),
      NetworkingConfig: { EndpointsConfig: { bridge: {}, backend: {} } },
    };
    const filters = new Map([['network', ['backend']]]);
    expect(applyFilters([...records, joined], filters, context).map((r) => r.Id)).toEqual(['d4']);
  });
});
