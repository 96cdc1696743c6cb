import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contextEngines, discoverEngines } from './discovery';
import { dockerOptionsFor, unixSocketPath } from './endpoint';

const dirs: string[] = [];
function dockerConfigWithContexts(contexts: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
  dirs.push(dir);
  for (const [hash, meta] of Object.entries(contexts)) {
    mkdirSync(join(dir, 'contexts', 'meta', hash), { recursive: true });
    writeFileSync(
      join(dir, 'contexts', 'meta', hash, 'meta.json'),
      typeof meta === 'string' ? meta : JSON.stringify(meta),
    );
  }
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('engine discovery', () => {
  it('reads docker CLI contexts and skips broken ones', () => {
    const dir = dockerConfigWithContexts({
      a1: {
        Name: 'remote',
        Metadata: {},
        Endpoints: { docker: { Host: 'ssh://me@build-box', SkipTLSVerify: false } },
      },
      b2: '{ not json',
      c3: { Name: 'no-endpoint', Endpoints: {} },
    });
    expect(contextEngines(dir)).toEqual([
      {
        id: 'context:remote',
        name: 'Context remote',
        kind: 'context',
        endpoint: 'ssh://me@build-box',
      },
    ]);
  });

  it('has no contexts when the folder is missing', () => {
    expect(contextEngines('/nonexistent/berth')).toEqual([]);
  });

  it('lists the command line engine first, then berthd, DOCKER_HOST and contexts', () => {
    const dir = dockerConfigWithContexts({
      x: { Name: 'ctx', Endpoints: { docker: { Host: 'tcp://10.0.0.2:2376' } } },
    });
    const engines = discoverEngines({
      env: { DOCKER_HOST: 'tcp://127.0.0.1:2375' },
      dockerConfigDir: dir,
      cliEngine: 'unix:///tmp/x.sock',
    });
    expect(engines.map((engine) => [engine.id, engine.endpoint])).toEqual([
      ['cli', 'unix:///tmp/x.sock'],
      ['berthd', 'unix:///run/berth/berthd.sock'],
      ['docker-host', 'tcp://127.0.0.1:2375'],
      ['context:ctx', 'tcp://10.0.0.2:2376'],
    ]);
  });
});

describe('engine endpoints', () => {
  const engine = (endpoint: string) => ({ id: 'e', name: 'e', kind: 'manual' as const, endpoint });

  it('maps unix, tcp and ssh endpoints to dockerode options', () => {
    expect(dockerOptionsFor(engine('unix:///run/berth/berthd.sock'))).toEqual({
      socketPath: '/run/berth/berthd.sock',
    });
    expect(dockerOptionsFor(engine('tcp://10.1.2.3:2375'))).toEqual({
      host: '10.1.2.3',
      port: 2375,
      protocol: 'http',
    });
    expect(dockerOptionsFor(engine('ssh://deploy@box:2222'))).toMatchObject({
      protocol: 'ssh',
      host: 'box',
      port: 2222,
      username: 'deploy',
    });
    expect(unixSocketPath('unix:///a/b.sock')).toBe('/a/b.sock');
    expect(unixSocketPath('tcp://a:1')).toBeUndefined();
  });

  it('refuses unsupported schemes with a clear message', () => {
    expect(() => dockerOptionsFor(engine('ftp://x'))).toThrow(
      'unsupported engine endpoint scheme "ftp:" (use unix://, tcp:// or ssh://)',
    );
    expect(() => dockerOptionsFor(engine('not a url'))).toThrow(
      'engine endpoint "not a url" is not a URL',
    );
  });
});
