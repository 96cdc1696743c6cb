// The other build clients against the built berthd: dockerode's buildImage (which sends the
// context unfiltered, so berthd applies .dockerignore itself, and passes every option in the
// query string) and docker-compose v1's `build` for a service with a build section.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { startAuthProxy } from './helpers/registries';

let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let docker: Docker;
let dir: string;
let base: string;

beforeAll(async () => {
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  berthd = await startBerthd();
  cli = new DockerCli(berthd.socket);
  docker = new Docker({ socketPath: berthd.socket });
  base = `${registry.host}/berth-test/busybox:latest`;
  dir = mkdtempSync(join(tmpdir(), 'berth-build-clients-'));
  writeFileSync(join(dir, 'app.txt'), 'from the context\n');
  writeFileSync(join(dir, 'secret.key'), 'never copied\n');
  writeFileSync(join(dir, '.dockerignore'), '*.key\n');
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      `FROM ${base} AS base`,
      'ARG NAME=nobody',
      'RUN echo "hello $NAME" > /hello',
      'FROM base AS final',
      'COPY app.txt /app.txt',
      'CMD ["cat", "/hello", "/app.txt"]',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'Dockerfile.secret'), `FROM ${base}\nCOPY secret.key /\n`);
  writeFileSync(
    join(dir, 'docker-compose.yml'),
    [
      'version: "3.7"',
      'services:',
      '  web:',
      '    image: berth-compose/web:1',
      '    build:',
      '      context: .',
      '      args:',
      '        NAME: compose',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  cli?.dispose();
  await berthd?.stop();
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Message = { stream?: string; aux?: { ID: string }; error?: string };

/** Builds and collects the progress; an in-band error message becomes `error`. */
async function dockerodeBuild(
  files: string[] | Readable,
  options: Record<string, unknown>,
): Promise<{ output: Message[]; error?: Error }> {
  const source = Array.isArray(files) ? { context: dir, src: files } : files;
  const stream = await docker.buildImage(source, options);
  return new Promise((resolve) => {
    docker.modem.followProgress(stream, (failure: Error | null, output: Message[]) => {
      const inBand = (output ?? []).find((m) => m.error)?.error;
      const error = failure ?? (inBand ? new Error(inBand) : undefined);
      resolve({ output: output ?? [], ...(error ? { error } : {}) });
    });
  });
}

const text = (output: Message[]) => output.map((m) => m.stream ?? '').join('');

describe('dockerode buildImage on berthd', () => {
  it('builds with build args, a target, labels, and reports the image ID', async () => {
    const { output, error } = await dockerodeBuild(
      ['Dockerfile', 'app.txt', 'secret.key', '.dockerignore'],
      {
        t: 'berth-dockerode/app:1',
        buildargs: { NAME: 'dockerode' },
        labels: { 'org.example.client': 'dockerode' },
        target: 'final',
      },
    );
    expect(error).toBeUndefined();
    const aux = output.filter((m) => m.aux).map((m) => m.aux!.ID);
    expect(aux.length).toBe(2); // one per stage, as dockerd's classic builder sends
    expect(text(output)).toContain('Successfully tagged berth-dockerode/app:1');
    const image = await docker.getImage('berth-dockerode/app:1').inspect();
    expect(image.Id).toBe(aux[aux.length - 1]);
    expect(image.Config.Labels).toEqual({ 'org.example.client': 'dockerode' });
    expect(await cli.ok(['run', '--rm', 'berth-dockerode/app:1'])).toBe(
      'hello dockerode\nfrom the context\n',
    );
  });

  it('stops at the target stage and honours nocache', async () => {
    const { output, error } = await dockerodeBuild(['Dockerfile', 'app.txt'], {
      t: 'berth-dockerode/base:1',
      buildargs: { NAME: 'dockerode' },
      target: 'base',
      nocache: true,
    });
    expect(error).toBeUndefined();
    expect(text(output)).toContain('Step 3/3 : RUN echo "hello $NAME" > /hello');
    expect(text(output)).not.toContain('Using cache');
    const image = await docker.getImage('berth-dockerode/base:1').inspect();
    expect(image.Config.Cmd).not.toEqual(['cat', '/hello', '/app.txt']);
  });

  it('applies .dockerignore to a context the client did not filter', async () => {
    // dockerode filters by .dockerignore itself when it packs a folder: send a raw tar instead.
    const tar = execFileSync('tar', [
      '-C',
      dir,
      '-cf',
      '-',
      'Dockerfile.secret',
      'secret.key',
      '.dockerignore',
    ]);
    const { error } = await dockerodeBuild(Readable.from([tar]), {
      dockerfile: 'Dockerfile.secret',
    });
    expect(error?.message ?? String(error)).toContain(
      'COPY failed: secret.key is excluded by .dockerignore (pattern "*.key")',
    );
  });

  it('refuses a platform other than the host', async () => {
    const { error } = await dockerodeBuild(['Dockerfile'], { platform: 'linux/s390x' }).catch(
      (failure: Error) => ({ error: failure }),
    );
    expect(String(error)).toContain('platform linux/s390x is not supported');
  });
});

describe('docker-compose build on berthd', () => {
  it('builds the service image from its build section', async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          'docker-compose',
          ['-p', 'berthbuild', '-f', join(dir, 'docker-compose.yml'), 'build'],
          {
            env: {
              ...process.env,
              DOCKER_HOST: `unix://${berthd.socket}`,
              DOCKER_CONFIG: cli.configDir,
              DOCKER_BUILDKIT: '0',
              COMPOSE_DOCKER_CLI_BUILD: '0',
            },
            timeout: 180_000,
          },
          (error, stdout, stderr) =>
            resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain('Successfully tagged berth-compose/web:1');
    expect(await cli.ok(['run', '--rm', 'berth-compose/web:1'])).toBe(
      'hello compose\nfrom the context\n',
    );
  });
});

describe('base images behind registry auth', () => {
  it('pulls FROM with the credentials the CLI sends in X-Registry-Config', async () => {
    const proxy = await startAuthProxy({
      upstream: registry.host,
      mode: 'basic',
      username: 'build-user',
      password: 'build-pass',
    });
    const buildDir = mkdtempSync(join(tmpdir(), 'berth-build-auth-'));
    try {
      writeFileSync(
        join(buildDir, 'Dockerfile'),
        `FROM ${proxy.host}/berth-test/busybox\nRUN true\n`,
      );
      const saved = process.env.DOCKER_BUILDKIT;
      process.env.DOCKER_BUILDKIT = '0'; // the CLI's classic builder sends X-Registry-Config
      try {
        const denied = await cli.run(['build', '-t', 'berth-auth/app', buildDir]);
        expect(denied.code).not.toBe(0);
        await cli.ok(['login', '-u', 'build-user', '--password-stdin', proxy.host], {
          input: Buffer.from('build-pass\n'),
        });
        const built = await cli.run(['build', '--pull', '-t', 'berth-auth/app', buildDir]);
        expect(built.code, built.stderr).toBe(0);
        expect(built.stdout).toContain('Successfully tagged berth-auth/app:latest');
      } finally {
        if (saved === undefined) delete process.env.DOCKER_BUILDKIT;
        else process.env.DOCKER_BUILDKIT = saved;
      }
      expect(proxy.log.some((entry) => entry.authorization?.startsWith('Basic '))).toBe(true);
    } finally {
      rmSync(buildDir, { recursive: true, force: true });
      await proxy.stop();
    }
  });
});
