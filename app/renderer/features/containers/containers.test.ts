import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../../../shared/types';
import { actionsFor } from './ContainerActions';
import { buildRows, matchesFilter } from './container-rows';
import { splitCommand, toRunSpec, emptyRunForm } from './run-form';

function container(
  name: string,
  state: ContainerSummary['state'],
  project?: string,
): ContainerSummary {
  return {
    id: `id-${name}`,
    name,
    image: 'busybox',
    imageId: 'sha256:1',
    command: 'sh',
    state,
    status: '',
    created: 0,
    ports: [],
    labels: {},
    ...(project ? { composeProject: project } : {}),
  };
}

const list = [
  container('web', 'running', 'shop'),
  container('db', 'exited', 'shop'),
  container('lonely', 'paused'),
  container('alpha', 'created'),
];

describe('container rows', () => {
  it('groups compose projects first, then loose containers, sorted by name', () => {
    const rows = buildRows(list, '', 'all', new Set());
    expect(
      rows.map((row) =>
        row.kind === 'group' ? `[${row.project} ${row.running}/${row.count}]` : row.container.name,
      ),
    ).toEqual(['[shop 1/2]', 'db', 'web', 'alpha', 'lonely']);
  });

  it('collapses a project to its header', () => {
    const rows = buildRows(list, '', 'all', new Set(['shop']));
    expect(
      rows.map((row) => (row.kind === 'group' ? `[${row.project}]` : row.container.name)),
    ).toEqual(['[shop]', 'alpha', 'lonely']);
    expect(rows[0]).toMatchObject({ collapsed: true, ids: ['id-db', 'id-web'] });
  });

  it('filters by state and searches names, images and projects', () => {
    expect(
      list.filter((entry) => matchesFilter(entry, '', 'running')).map((entry) => entry.name),
    ).toEqual(['web', 'lonely']);
    expect(
      list.filter((entry) => matchesFilter(entry, '', 'stopped')).map((entry) => entry.name),
    ).toEqual(['db', 'alpha']);
    expect(
      list.filter((entry) => matchesFilter(entry, 'SHOP', 'all')).map((entry) => entry.name),
    ).toEqual(['web', 'db']);
  });

  it('offers the actions that make sense for each state', () => {
    expect(actionsFor(container('a', 'running'))).toEqual(['stop', 'restart', 'pause', 'remove']);
    expect(actionsFor(container('a', 'paused'))).toEqual(['unpause', 'stop', 'remove']);
    expect(actionsFor(container('a', 'exited'))).toEqual(['start', 'remove']);
  });
});

describe('run form', () => {
  it('splits commands honouring quotes', () => {
    expect(splitCommand(`sh -c "echo 'hi there' && ls" 'a b'`)).toEqual([
      'sh',
      '-c',
      "echo 'hi there' && ls",
      'a b',
    ]);
  });

  it('builds a RunSpec from the fields', () => {
    const spec = toRunSpec({
      ...emptyRunForm,
      image: ' busybox ',
      name: 'web',
      ports: '8080:80, 53/udp, 127.0.0.1:9000:9000',
      env: 'A=1\nB=two words',
      volumes: 'data:/data, /srv:/www:ro',
      network: 'front',
      restartPolicy: 'always',
      command: 'httpd -f',
    });
    expect(spec).toEqual({
      image: 'busybox',
      name: 'web',
      restartPolicy: 'always',
      ports: [
        { containerPort: 80, hostPort: 8080, protocol: 'tcp' },
        { containerPort: 53, protocol: 'udp' },
        { containerPort: 9000, hostPort: 9000, hostIp: '127.0.0.1', protocol: 'tcp' },
      ],
      env: ['A=1', 'B=two words'],
      volumes: [
        { source: 'data', target: '/data' },
        { source: '/srv', target: '/www', readOnly: true },
      ],
      network: 'front',
      command: ['httpd', '-f'],
    });
  });

  it('names the first bad entry', () => {
    expect(() => toRunSpec({ ...emptyRunForm })).toThrow('Image is required');
    expect(() => toRunSpec({ ...emptyRunForm, image: 'x', ports: '80:http' })).toThrow(
      'Port "80:http" should look like 8080:80, 127.0.0.1:8080:80 or 80/udp',
    );
    expect(() => toRunSpec({ ...emptyRunForm, image: 'x', env: 'NOVALUE' })).toThrow(
      'Environment entry "NOVALUE" should be NAME=value',
    );
    expect(() => toRunSpec({ ...emptyRunForm, image: 'x', volumes: 'data:relative' })).toThrow(
      'Volume "data:relative"',
    );
  });
});
