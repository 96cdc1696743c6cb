// `docker build` with the classic builder (DOCKER_BUILDKIT=0) against the built berthd and a real
// docker-registry holding the busybox fixture: a multi-stage build with args, env, user and
// .dockerignore; the image runs and has the expected config and history; rebuilds hit the cache;
// a failing RUN leaves nothing behind; bad input is named; prune and df see the cache.
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { engineRequest, type EngineReply } from './helpers/engine-request';

let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let contextDir: string;
let base: string;
const savedBuildkit = process.env.DOCKER_BUILDKIT;

beforeAll(async () => {
  process.env.DOCKER_BUILDKIT = '0'; // the classic builder protocol (POST /build)
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  berthd = await startBerthd();
  cli = new DockerCli(berthd.socket);
  base = `${registry.host}/berth-test/busybox:latest`;
  contextDir = mkdtempSync(join(tmpdir(), 'berth-build-ctx-'));
  mkdirSync(join(contextDir, 'src'));
  writeFileSync(join(contextDir, 'src', 'app.txt'), 'app v1\n');
  writeFileSync(join(contextDir, 'src', 'notes.md'), 'notes\n');
  writeFileSync(join(contextDir, 'secret.key'), 'do not ship\n');
  writeFileSync(join(contextDir, '.dockerignore'), '*.key\nsrc/*.md\n');
  writeFileSync(
    join(contextDir, 'Dockerfile'),
    [
      `ARG BASE=${base}`,
      'FROM $BASE AS build',
      'ARG GREETING=hello',
      'ENV STAGE=build',
      'RUN mkdir -p /out && echo "$GREETING from $STAGE" > /out/greeting',
      'COPY src/ /out/src/',
      'FROM ${BASE}',
      'LABEL org.example.role=test',
      'ENV APP_HOME=/srv/app PORT=8080',
      'COPY --from=build /out $APP_HOME',
      'RUN echo "builder:x:1234:1234::/srv:/bin/sh" >> /etc/passwd && rm -f /bin/true',
      'WORKDIR $APP_HOME',
      'USER builder',
      'EXPOSE $PORT',
      'CMD ["sh", "-c", "id -u; pwd; cat greeting src/app.txt; ls src; echo port=$PORT"]',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  if (savedBuildkit === undefined) delete process.env.DOCKER_BUILDKIT;
  else process.env.DOCKER_BUILDKIT = savedBuildkit;
  cli?.dispose();
  await berthd?.stop();
  await registry?.stop();
  if (contextDir) rmSync(contextDir, { recursive: true, force: true });
});

function build(args: string[], dir = contextDir) {
  return cli.run(['build', ...args, dir], { timeoutMs: 180_000 });
}

function postBuild(query: string, body: Buffer): Promise<EngineReply> {
  return engineRequest(berthd.socket, 'POST', `/v1.41/build?${query}`, body);
}

/** A one-entry tar (ustar) whose entry is a symlink or a file with a hostile name. */
function hostileTar(name: string, type: '0' | '2', linkname = ''): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100, 8, 'latin1');
  header.write('0000000\0', 108, 8, 'latin1');
  header.write('0000000\0', 116, 8, 'latin1');
  header.write('00000000000\0', 124, 12, 'latin1');
  header.write('00000000000\0', 136, 12, 'latin1');
  header.write(type, 156, 1, 'latin1');
  header.write(linkname, 157, 100, 'utf8');
  header.write('ustar\u000000', 257, 8, 'latin1');
  header.write('        ', 148, 8, 'latin1');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return Buffer.concat([header, Buffer.alloc(1024)]);
}

const stepIds = (out: string) => [...out.matchAll(/ ---> ([a-f0-9]{12})\n/g)].map((m) => m[1]);

describe('docker build (classic builder) on berthd', () => {
  let imageId = '';

  it('builds a multi-stage image from a busybox base with args, env, user and .dockerignore', async () => {
    const result = await build([
      '-t',
      'berth-build/app:1',
      '-t',
      'berth-build/app:latest',
      '--build-arg',
      'GREETING=hi',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toContain('Step 1/15 : ARG BASE=');
    expect(out).toContain('Step 2/15 : FROM $BASE AS build');
    expect(out).toMatch(/Step 5\/15 : RUN mkdir -p \/out[^\n]*\n ---> Running in [a-f0-9]{12}\n/);
    expect(out).toMatch(/Removing intermediate container [a-f0-9]{12}\n/);
    expect(out).toContain('Successfully tagged berth-build/app:1');
    expect(out).toContain('Successfully tagged berth-build/app:latest');
    imageId = /Successfully built ([a-f0-9]{12})/.exec(out)?.[1] ?? '';
    expect(imageId).toMatch(/^[a-f0-9]{12}$/);
  });

  it('runs the image with the configured user, workdir, env and files', async () => {
    const out = await cli.ok(['run', '--rm', 'berth-build/app:1']);
    expect(out.split('\n')).toEqual([
      '1234',
      '/srv/app',
      'hi from build',
      'app v1',
      'app.txt',
      'port=8080',
      '',
    ]);
    // Excluded files never reach the image; the RUN's deletion is a whiteout in its layer.
    const listing = await cli.run([
      'run',
      '--rm',
      '--entrypoint',
      'ls',
      'berth-build/app:1',
      '/srv/app/src',
      '/bin/true',
    ]);
    expect(listing.stdout).toContain('app.txt');
    expect(listing.stdout).not.toContain('notes.md');
    expect(listing.stderr).toContain('/bin/true: No such file or directory');
  });

  it('records config and history like dockerd', async () => {
    const [inspect] = JSON.parse(await cli.ok(['image', 'inspect', 'berth-build/app:1'])) as Array<{
      Id: string;
      Config: Record<string, unknown>;
      RootFS: { Layers: string[] };
    }>;
    expect(inspect!.Id.slice(7, 19)).toBe(imageId);
    expect(inspect!.Config).toMatchObject({
      User: 'builder',
      WorkingDir: '/srv/app',
      Labels: { 'org.example.role': 'test' },
      ExposedPorts: { '8080/tcp': {} },
      Cmd: ['sh', '-c', 'id -u; pwd; cat greeting src/app.txt; ls src; echo port=$PORT'],
    });
    expect(inspect!.Config['Env']).toEqual(
      expect.arrayContaining(['APP_HOME=/srv/app', 'PORT=8080']),
    );
    // busybox's layer + COPY --from + RUN + WORKDIR (creates /srv/app? it exists: no layer).
    expect(inspect!.RootFS.Layers.length).toBe(3);
    const history = (
      await cli.ok([
        'history',
        '--no-trunc',
        '--format',
        '{{.CreatedBy}}|{{.Size}}',
        'berth-build/app:1',
      ])
    )
      .trim()
      .split('\n');
    expect(history.slice(0, 8)).toEqual([
      expect.stringMatching(/^\/bin\/sh -c #\(nop\) {2}CMD \["sh" "-c" "id -u; pwd;/),
      '/bin/sh -c #(nop)  EXPOSE 8080/tcp|0B',
      '/bin/sh -c #(nop)  USER builder|0B',
      '/bin/sh -c #(nop) WORKDIR /srv/app|0B',
      expect.stringMatching(
        /^\/bin\/sh -c echo "builder:x:1234:1234::\/srv:\/bin\/sh" >> \/etc\/passwd && rm -f \/bin\/true\|\d+B$/,
      ),
      expect.stringMatching(/^\/bin\/sh -c #\(nop\) COPY dir:[a-f0-9]{64} in \/srv\/app \|\d+B$/),
      '/bin/sh -c #(nop)  ENV APP_HOME=/srv/app PORT=8080|0B',
      '/bin/sh -c #(nop)  LABEL org.example.role=test|0B',
    ]);
  });

  it('does no work on a rebuild without changes, and rebuilds from a changed COPY on', async () => {
    const first = await build(['-t', 'berth-build/app:1', '--build-arg', 'GREETING=hi']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toContain('Running in');
    expect(first.stdout.match(/---> Using cache/g)?.length).toBe(12);
    expect(first.stdout).toContain(`Successfully built ${imageId}`);

    writeFileSync(join(contextDir, 'src', 'app.txt'), 'app v2\n');
    const second = await build(['-t', 'berth-build/app:2', '--build-arg', 'GREETING=hi']);
    expect(second.code, second.stderr).toBe(0);
    const out = second.stdout;
    // Steps before the changed COPY come from the cache; the COPY and what follows are rebuilt.
    expect(out).toMatch(/Step 5\/15 : RUN mkdir[^\n]*\n ---> Using cache\n/);
    expect(out).toMatch(/Step 6\/15 : COPY src\/ \/out\/src\/\n ---> [a-f0-9]{12}\n/);
    expect(out).toMatch(/Step 11\/15 : RUN echo[^\n]*\n ---> Running in /);
    expect(
      await cli.ok(['run', '--rm', '--entrypoint', 'cat', 'berth-build/app:2', 'src/app.txt']),
    ).toBe('app v2\n');
    writeFileSync(join(contextDir, 'src', 'app.txt'), 'app v1\n');
  });

  it('reports a failing RUN with its exit code and output, and leaves no containers or mounts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-build-fail-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo about to fail; exit 7\n`);
      const result = await build(['-t', 'berth-build/fail'], dir);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toContain('about to fail');
      expect(result.stderr).toContain(
        "The command '/bin/sh -c echo about to fail; exit 7' returned a non-zero code: 7",
      );
      expect((await cli.ok(['ps', '-aq'])).trim()).toBe('');
      expect(berthd.leftMounts()).toEqual([]);
      expect(readdirSync(join(berthd.dataRoot, 'build', 'work'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops a RUN and removes its container when the client hangs up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-build-cancel-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo started; sleep 60\n`);
      const tar = execFileSync('tar', ['-C', dir, '-cf', '-', 'Dockerfile']);
      await new Promise<void>((resolve, reject) => {
        const req = request(
          { socketPath: berthd.socket, path: '/v1.41/build?t=berth-build/cancel', method: 'POST' },
          (res) => {
            res.on('data', (chunk: Buffer) => {
              // The RUN's own output, not the step line that names it.
              if (chunk.toString().includes('{"stream":"started\\n"}')) {
                req.destroy();
                resolve();
              }
            });
            res.on('error', () => undefined);
          },
        );
        req.on('error', () => undefined);
        req.on('close', () => resolve());
        setTimeout(() => reject(new Error('the RUN never started')), 60_000).unref();
        req.end(tar);
      });
      // The daemon notices the hang-up, kills the step and removes its container.
      let left = 'pending';
      for (let attempt = 0; attempt < 100 && left !== ''; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        left = (await cli.ok(['ps', '-aq'])).trim();
      }
      expect(left).toBe('');
      expect((await cli.run(['image', 'inspect', 'berth-build/cancel'])).code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the line of a bad instruction and a missing or excluded COPY source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-build-bad-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\n\nFROBNICATE now\n`);
      const unknown = await build([], dir);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain(
        'Dockerfile parse error on line 3: unknown instruction: FROBNICATE',
      );

      writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nCOPY missing.txt /\n`);
      const missing = await build([], dir);
      expect(missing.stderr).toContain(
        'COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('handles scratch, ADD archives, ONBUILD triggers and the other config instructions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-build-more-'));
    try {
      mkdirSync(join(dir, 'payload'));
      writeFileSync(join(dir, 'payload', 'inside.txt'), 'unpacked\n');
      execFileSync('tar', ['-C', dir, '-czf', join(dir, 'payload.tar.gz'), 'payload']);
      writeFileSync(
        join(dir, 'Dockerfile.parent'),
        `FROM ${base}\nONBUILD RUN echo triggered > /onbuild.txt\n`,
      );
      const parent = await build(
        ['-f', join(dir, 'Dockerfile.parent'), '-t', 'berth-build/parent'],
        dir,
      );
      expect(parent.code, parent.stderr).toBe(0);
      writeFileSync(
        join(dir, 'Dockerfile'),
        [
          'FROM scratch AS files',
          'COPY payload/inside.txt /from-scratch.txt',
          'FROM berth-build/parent',
          'ADD payload.tar.gz /unpacked/',
          'COPY --from=files /from-scratch.txt /',
          'SHELL ["/bin/sh", "-ec"]',
          'VOLUME /data',
          'STOPSIGNAL SIGINT',
          'HEALTHCHECK --interval=30s CMD true',
          'ENTRYPOINT ["cat"]',
          'CMD ["/onbuild.txt", "/unpacked/payload/inside.txt", "/from-scratch.txt"]',
          '',
        ].join('\n'),
      );
      const result = await build(['-t', 'berth-build/more'], dir);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('# Executing 1 build trigger');
      expect(await cli.ok(['run', '--rm', 'berth-build/more'])).toBe(
        'triggered\nunpacked\nunpacked\n',
      );
      const [inspect] = JSON.parse(
        await cli.ok(['image', 'inspect', 'berth-build/more']),
      ) as Array<{
        Config: Record<string, unknown>;
      }>;
      expect(inspect!.Config).toMatchObject({
        Volumes: { '/data': {} },
        StopSignal: 'SIGINT',
        Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 30e9 },
        Entrypoint: ['cat'],
        Shell: ['/bin/sh', '-ec'],
      });
      expect(inspect!.Config['OnBuild']).toBeFalsy();

      writeFileSync(
        join(dir, 'Dockerfile'),
        `FROM ${base}\nADD https://example.invalid/file.tgz /\n`,
      );
      const url = await build([], dir);
      expect(url.stderr).toContain('ADD failed: cannot download https://example.invalid/file.tgz');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses contexts that try to escape', async () => {
    const cases: Array<[Buffer, string]> = [
      [hostileTar('../evil', '0'), "contains '..'"],
      [hostileTar('/etc/evil', '0'), 'is absolute'],
      [hostileTar('link', '2', '../../../etc/shadow'), 'escapes the build context'],
    ];
    for (const [tar, message] of cases) {
      const response = await postBuild('t=berth-build/evil', tar);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body).message).toContain(message);
    }
    const missingDockerfile = await postBuild('dockerfile=nope', hostileTar('file', '0'));
    expect(missingDockerfile.status).toBe(400);
    expect(JSON.parse(missingDockerfile.body).message).toBe(
      'Cannot locate specified Dockerfile: nope',
    );
  });

  it('shows the cache in system df and empties it with builder prune', async () => {
    const df = JSON.parse(
      await cli
        .ok(['system', 'df', '--format', '{{json .}}'])
        .then((t) => `[${t.trim().split('\n').join(',')}]`),
    ) as Array<{ Type: string; TotalCount: string }>;
    const cache = df.find((row) => row.Type === 'Build Cache');
    expect(Number(cache?.TotalCount)).toBeGreaterThan(0);
    const pruned = await cli.ok(['builder', 'prune', '-f']);
    expect(pruned).toContain('Total reclaimed space');
    const rebuilt = await build(['-t', 'berth-build/app:1', '--build-arg', 'GREETING=hi']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).not.toContain('Using cache');
    expect(stepIds(rebuilt.stdout).length).toBeGreaterThan(10);
  });
});
