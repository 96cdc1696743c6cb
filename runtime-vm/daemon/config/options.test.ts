import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOptions, parseHost } from './options';

describe('loadOptions', () => {
  let dir: string;
  let config: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-opts-'));
    config = join(dir, 'daemon.json');
    writeFileSync(config, '{}');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has dockerd-like defaults and repeatable -H', () => {
    const defaults = loadOptions(['--config-file', config]);
    expect(defaults.hosts).toEqual(['unix:///run/berth/berthd.sock']);
    expect(defaults.dataRoot).toBe('/var/lib/berth');
    expect(defaults.group).toBe('berth');
    const two = loadOptions([
      '-H',
      'unix:///tmp/a.sock',
      '--host=unix:///tmp/b.sock',
      '--config-file',
      config,
      '--log-level',
      'debug',
    ]);
    expect(two.hosts).toEqual(['unix:///tmp/a.sock', 'unix:///tmp/b.sock']);
    expect(two.logLevel).toBe('debug');
    expect(two.pidfile).toBe('/run/berth/berthd.pid');
  });

  it('reads the config file and refuses the same key twice or unknown keys', () => {
    writeFileSync(
      config,
      JSON.stringify({ 'data-root': '/srv/berth', 'insecure-registries': ['r:5000'] }),
    );
    const options = loadOptions(['--config-file', config, '--insecure-registry', 'q:5000']);
    expect(options.dataRoot).toBe('/srv/berth');
    expect(options.insecureRegistries).toEqual(['r:5000', 'q:5000']);
    expect(() => loadOptions(['--config-file', config, '--data-root', '/x'])).toThrow(
      /both as a flag and in/,
    );
    writeFileSync(config, JSON.stringify({ bogus: 1 }));
    expect(() => loadOptions(['--config-file', config])).toThrow("unknown key 'bogus'");
    expect(() => loadOptions(['--config-file', join(dir, 'missing.json')])).toThrow(
      /cannot read config file/,
    );
  });

  it('no-new-privileges as a flag or a config key, off by default', () => {
    expect(loadOptions(['--config-file', config]).noNewPrivileges).toBe(false);
    expect(loadOptions(['--config-file', config, '--no-new-privileges']).noNewPrivileges).toBe(
      true,
    );
    writeFileSync(config, JSON.stringify({ 'no-new-privileges': true }));
    expect(loadOptions(['--config-file', config]).noNewPrivileges).toBe(true);
    writeFileSync(config, JSON.stringify({ 'no-new-privileges': 'yes' }));
    expect(() => loadOptions(['--config-file', config])).toThrow(
      "setting 'no-new-privileges' must be a boolean",
    );
  });

  it('runtimes and default-runtime choose the OCI runtime binary, crun or else runc by default', () => {
    const withCrun = (path: string) => path === '/usr/bin/crun';
    expect(loadOptions(['--config-file', config], withCrun).runtimePath).toBe('/usr/bin/crun');
    expect(loadOptions(['--config-file', config], () => false).runtimePath).toBe('/usr/sbin/runc');
    const runc = ['--default-runtime', 'runc'];
    expect(loadOptions(['--config-file', config, ...runc], withCrun).runtimePath).toBe(
      '/usr/sbin/runc',
    );
    writeFileSync(
      config,
      JSON.stringify({ runtimes: { mine: { path: '/opt/runc' } }, 'default-runtime': 'mine' }),
    );
    expect(loadOptions(['--config-file', config]).runtimePath).toBe('/opt/runc');
    writeFileSync(config, '{}');
    const flags = ['--add-runtime', 'x=/opt/x', '--default-runtime', 'x'];
    expect(loadOptions(['--config-file', config, ...flags]).runtimePath).toBe('/opt/x');
    expect(() => loadOptions(['--config-file', config, '--default-runtime', 'nope'])).toThrow(
      "default runtime 'nope' is not among the configured runtimes",
    );
    expect(() => loadOptions(['--config-file', config, '--add-runtime', 'bad'])).toThrow(
      'use name=path',
    );
    writeFileSync(
      config,
      JSON.stringify({ runtimes: { r: { path: 'rel' } }, 'default-runtime': 'r' }),
    );
    expect(() => loadOptions(['--config-file', config])).toThrow('needs an absolute "path"');
  });

  it('refuses tcp hosts without mutual TLS', () => {
    expect(() => loadOptions(['--config-file', config, '-H', 'tcp://0.0.0.0:2375'])).toThrow(
      /without TLS client verification/,
    );
    const tls = loadOptions([
      '--config-file',
      config,
      '-H',
      'tcp://127.0.0.1:2376',
      '--tlsverify',
      '--tlscacert',
      'ca',
      '--tlscert',
      'c',
      '--tlskey',
      'k',
    ]);
    expect(tls.tls).toEqual({ verify: true, caFile: 'ca', certFile: 'c', keyFile: 'k' });
    expect(parseHost('tcp://127.0.0.1:2376')).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 2376,
    });
    expect(() => parseHost('unix://relative.sock')).toThrow(/absolute/);
  });
});
