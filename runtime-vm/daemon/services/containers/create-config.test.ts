import { describe, expect, it } from 'vitest';
import {
  commandLine,
  effectiveConfig,
  knownRuntime,
  mergeEnv,
  normalizeHostConfig,
  validateRestartPolicy,
} from './create-config';

const image = {
  Entrypoint: ['/entry'],
  Cmd: ['serve'],
  Env: ['PATH=/bin', 'A=1'],
  WorkingDir: '/app',
  User: 'www',
  Labels: { from: 'image' },
  ExposedPorts: { '80/tcp': {} },
  StopSignal: 'SIGQUIT',
};

describe('effectiveConfig', () => {
  it('inherits everything from the image when the request is bare', () => {
    const config = effectiveConfig({ Image: 'img' }, image, 'img');
    expect(commandLine(config)).toEqual({ path: '/entry', args: ['serve'] });
    expect(config).toMatchObject({
      WorkingDir: '/app',
      User: 'www',
      StopSignal: 'SIGQUIT',
      Labels: { from: 'image' },
    });
  });

  it('a request Cmd replaces the image Cmd but keeps its entrypoint', () => {
    expect(commandLine(effectiveConfig({ Image: 'img', Cmd: ['x', 'y'] }, image, 'img'))).toEqual({
      path: '/entry',
      args: ['x', 'y'],
    });
  });

  it('an entrypoint override drops the image Cmd; --entrypoint "" resets it', () => {
    expect(
      commandLine(effectiveConfig({ Image: 'img', Entrypoint: ['/other'] }, image, 'img')),
    ).toEqual({
      path: '/other',
      args: [],
    });
    expect(
      commandLine(effectiveConfig({ Image: 'img', Entrypoint: [''], Cmd: ['sh'] }, image, 'img')),
    ).toEqual({
      path: 'sh',
      args: [],
    });
  });

  it('string Cmd and labels merge; no command at all is a 400', () => {
    const config = effectiveConfig({ Image: 'img', Cmd: 'ls', Labels: { mine: 'yes' } }, {}, 'img');
    expect(config.Cmd).toEqual(['ls']);
    expect(config.Labels).toEqual({ mine: 'yes' });
    expect(() => commandLine(effectiveConfig({ Image: 'img' }, {}, 'img'))).toThrow(
      'No command specified',
    );
  });
});

describe('mergeEnv', () => {
  it('request wins by key, order is stable, unresolved names are dropped', () => {
    expect(mergeEnv(['PATH=/bin', 'A=1'], ['A=2', 'B=3', 'UNSET'])).toEqual([
      'PATH=/bin',
      'A=2',
      'B=3',
    ]);
    expect(() => mergeEnv([], ['=x'])).toThrow('invalid environment variable');
  });
});

describe('restart policies and host config defaults', () => {
  it('validates policies like dockerd', () => {
    expect(() => validateRestartPolicy({ Name: 'sometimes' as never }, false)).toThrow(
      "invalid restart policy 'sometimes'",
    );
    expect(() => validateRestartPolicy({ Name: 'always', MaximumRetryCount: 3 }, false)).toThrow(
      'maximum retry count cannot be used',
    );
    expect(() => validateRestartPolicy({ Name: 'always' }, true)).toThrow(
      "can't create 'AutoRemove' container",
    );
    expect(() =>
      validateRestartPolicy({ Name: 'on-failure', MaximumRetryCount: 3 }, false),
    ).not.toThrow();
  });

  it('fills the defaults inspect shows', () => {
    expect(normalizeHostConfig(undefined)).toMatchObject({
      NetworkMode: 'bridge',
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      ShmSize: 64 * 1024 * 1024,
      LogConfig: { Type: 'k8s-file', Config: {} },
      IpcMode: 'private',
    });
    expect(normalizeHostConfig({ NetworkMode: 'default' }).NetworkMode).toBe('bridge');
  });

  it('refuses what a container:<id> joiner cannot have: its own ports, DNS and hosts', () => {
    const joiner = { NetworkMode: 'container:web' };
    expect(() =>
      normalizeHostConfig({ ...joiner, PortBindings: { '80/tcp': [{ HostPort: '8080' }] } }),
    ).toThrow('conflicting options: port publishing and the container type network mode');
    expect(() => normalizeHostConfig({ ...joiner, PublishAllPorts: true })).toThrow(
      'port publishing',
    );
    expect(() => normalizeHostConfig({ ...joiner, Dns: ['1.1.1.1'] })).toThrow(
      'conflicting options: dns and the network mode',
    );
    expect(() => normalizeHostConfig({ ...joiner, ExtraHosts: ['a:1.2.3.4'] })).toThrow(
      'conflicting options: custom host-to-IP mapping and the network mode',
    );
    expect(normalizeHostConfig(joiner).NetworkMode).toBe('container:web');
  });
});

describe('knownRuntime', () => {
  it("fills in the daemon's runtime and refuses any other, as dockerd does", () => {
    expect(knownRuntime(undefined, 'crun')).toBe('crun');
    expect(knownRuntime('', 'crun')).toBe('crun');
    expect(knownRuntime('crun', 'crun')).toBe('crun');
    expect(() => knownRuntime('runc', 'crun')).toThrow('unknown or invalid runtime name: runc');
  });
});
