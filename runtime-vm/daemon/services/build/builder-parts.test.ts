// The builder's pure and filesystem parts: cache keys, the upper-dir diff as a layer tar (real
// overlayfs: whiteouts, opaque dirs, hardlinks), build context escapes, metadata instructions,
// and COPY's destination rules.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  blockSize,
  encodeHeader,
  fileHeader,
  paddingFor,
  parseHeader,
  zeroBlock,
  type TarHeader,
} from '../../drivers/snapshots/tar-format';
import { BuildCache, cacheKey, type CacheEntry } from './build-cache';
import { ContextEscapeError, extractContext, readDockerfile } from './build-context';
import { copyInto, parseChmod } from './copy-into';
import { resolveSources, hashSources, CopySourceError } from './copy-sources';
import { parseDockerfile } from './dockerfile-parser';
import { DockerIgnore } from './dockerignore';
import { collectDiff, diffTar } from './layer-diff';
import { applyMetadata, defaultShell } from './metadata-steps';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'berth-build-'));
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

function tarOf(entries: Array<{ header: TarHeader; data?: string }>): Buffer {
  const parts: Buffer[] = [];
  for (const { header, data } of entries) {
    const body = Buffer.from(data ?? '');
    parts.push(
      encodeHeader({ ...header, size: body.length }),
      body,
      Buffer.alloc(paddingFor(body.length)),
    );
  }
  parts.push(zeroBlock, zeroBlock);
  return Buffer.concat(parts);
}

async function readTar(
  stream: Readable,
): Promise<Array<{ name: string; type: string; linkname: string }>> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const archive = Buffer.concat(chunks);
  const out: Array<{ name: string; type: string; linkname: string }> = [];
  let offset = 0;
  while (offset + blockSize <= archive.length) {
    const block = archive.subarray(offset, offset + blockSize);
    if (block.equals(zeroBlock)) break;
    const header = parseHeader(block);
    out.push({ name: header.name, type: header.type, linkname: header.linkname });
    offset += blockSize + header.size + paddingFor(header.size);
  }
  return out;
}

const instruction = (text: string) => parseDockerfile(text).instructions[0]!;

describe('cacheKey', () => {
  it('is stable and changes with the parent, the instruction and the inputs', () => {
    const key = cacheKey('sha256:a', 'RUN x', 'in');
    expect(cacheKey('sha256:a', 'RUN x', 'in')).toBe(key);
    expect(cacheKey('sha256:b', 'RUN x', 'in')).not.toBe(key);
    expect(cacheKey('sha256:a', 'RUN y', 'in')).not.toBe(key);
    expect(cacheKey('sha256:a', 'RUN x', 'other')).not.toBe(key);
  });
});

describe('BuildCache', () => {
  const entry = (key: string): CacheEntry => ({
    key,
    id: `sha256:${'a'.repeat(64)}`,
    parent: '',
    createdBy: `RUN ${key}`,
    blob: '{}',
    layers: [],
    size: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastUsedAt: '2026-01-01T00:00:00.000Z',
    usageCount: 0,
  });

  it('persists entries, usage after a flush, and removals across a restart', async () => {
    const cache = new BuildCache(work);
    await cache.init();
    await cache.put(entry('one'));
    await cache.put(entry('two'));
    cache.touch('one');
    await cache.flush();
    await cache.remove(['two']);
    const reloaded = new BuildCache(work);
    await reloaded.init();
    expect(reloaded.all().map((e) => e.key)).toEqual(['one']);
    expect(reloaded.get('one')?.usageCount).toBe(1);
  });
});

describe('upper dir diff → layer tar', () => {
  it('turns overlay whiteouts and opaque dirs into .wh. entries and keeps hardlinks', async () => {
    const lower = join(work, 'lower');
    const upper = join(work, 'upper');
    const overlayWork = join(work, 'work');
    const merged = join(work, 'merged');
    for (const dir of [lower, upper, overlayWork, merged]) mkdirSync(dir);
    mkdirSync(join(lower, 'etc'));
    writeFileSync(join(lower, 'etc', 'gone'), 'x');
    writeFileSync(join(lower, 'etc', 'kept'), 'x');
    mkdirSync(join(lower, 'data'));
    writeFileSync(join(lower, 'data', 'old'), 'x');
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${upper},workdir=${overlayWork}`,
      merged,
    ]);
    try {
      rmSync(join(merged, 'etc', 'gone'));
      rmSync(join(merged, 'data'), { recursive: true });
      mkdirSync(join(merged, 'data'));
      writeFileSync(join(merged, 'data', 'new'), 'new');
      mkdirSync(join(merged, 'app'));
      writeFileSync(join(merged, 'app', 'one'), 'same');
      linkSync(join(merged, 'app', 'one'), join(merged, 'app', 'two'));
    } finally {
      execFileSync('umount', [merged]);
    }
    const entries = await collectDiff(upper, { lowerDirs: [lower] });
    const tar = await readTar(diffTar(entries));
    const names = tar.map((e) => e.name);
    expect(names).toContain('etc/.wh.gone');
    expect(names).not.toContain('etc/kept');
    expect(names).toContain('data/.wh..wh..opq');
    expect(names).toContain('data/new');
    expect(names.indexOf('data/')).toBeLessThan(names.indexOf('data/.wh..wh..opq'));
    const two = tar.find((e) => e.name === 'app/two');
    expect(two).toEqual({ name: 'app/two', type: '1', linkname: 'app/one' });
  });

  it('leaves out empty runtime mount points and unchanged copied-up folders', async () => {
    const lower = join(work, 'lower');
    const upper = join(work, 'upper');
    mkdirSync(join(lower, 'etc'), { recursive: true });
    mkdirSync(join(upper, 'etc'), { recursive: true });
    writeFileSync(join(upper, 'etc', 'hosts'), '');
    mkdirSync(join(upper, 'proc'));
    writeFileSync(join(upper, 'etc', 'app.conf'), 'a=1');
    const entries = await collectDiff(upper, {
      lowerDirs: [lower],
      mountPoints: ['/etc/hosts', '/proc'],
    });
    expect(entries.map((e) => e.path)).toEqual(['etc', 'etc/app.conf']);
    expect(await collectDiff(join(upper, 'proc'), {})).toEqual([]);
  });
});

describe('build context', () => {
  const file = (name: string, data = 'x') => ({ header: fileHeader(name, data.length), data });
  const symlink = (name: string, target: string) => ({
    header: { ...fileHeader(name, 0), type: '2', linkname: target },
  });

  it('unpacks a context and finds the Dockerfile', async () => {
    const tar = tarOf([
      file('Dockerfile', 'FROM scratch\n'),
      file('.dockerignore', '*.log\n'),
      symlink('link', 'Dockerfile'),
    ]);
    const context = await extractContext(Readable.from([tar]), work);
    try {
      expect(await readDockerfile(context, 'Dockerfile')).toBe('FROM scratch\n');
      expect(context.ignore.excludes('debug.log')).toBe(true);
      await expect(readDockerfile(context, 'missing')).rejects.toThrow(
        'Cannot locate specified Dockerfile: missing',
      );
      await expect(readDockerfile(context, '../outside')).rejects.toBeInstanceOf(
        ContextEscapeError,
      );
    } finally {
      await context.dispose();
    }
    expect(existsSync(context.dir)).toBe(false);
  });

  it.each([
    ['a .. component', [file('../evil')], "contains '..'"],
    ['an absolute name', [file('/etc/evil')], 'is absolute'],
    [
      'a symlink out of the context',
      [symlink('up', '../../etc/passwd')],
      'escapes the build context',
    ],
    ['a write through a symlink', [symlink('dir', 'sub'), file('dir/f')], 'through a symlink'],
  ])('refuses %s and leaves nothing behind', async (_what, entries, message) => {
    await expect(extractContext(Readable.from([tarOf(entries)]), work)).rejects.toThrow(message);
    expect(execFileSync('ls', ['-A', work]).toString()).toBe('');
  });
});

describe('metadata instructions', () => {
  const context = {
    variables: new Map([['V', '8080']]),
    escape: '\\',
    shell: defaultShell,
    cmdSetInStage: false,
  };

  it('ENV adds or replaces and records the history comment', () => {
    const result = applyMetadata(instruction('ENV A=1 PORT=$V'), { Env: ['A=0', 'B=2'] }, context);
    expect(result.config.Env).toEqual(['A=1', 'B=2', 'PORT=8080']);
    expect(result.comment).toBe('ENV A=1 PORT=8080');
  });

  it('CMD shell form runs in the shell; ENTRYPOINT resets an inherited CMD', () => {
    const cmd = applyMetadata(instruction('CMD echo hi'), {}, context);
    expect(cmd.config.Cmd).toEqual(['/bin/sh', '-c', 'echo hi']);
    expect(cmd.comment).toBe('CMD ["/bin/sh" "-c" "echo hi"]');
    const entry = applyMetadata(instruction('ENTRYPOINT ["/app"]'), { Cmd: ['x'] }, context);
    expect(entry.config).toEqual({ Cmd: null, Entrypoint: ['/app'] });
    const kept = applyMetadata(
      instruction('ENTRYPOINT ["/app"]'),
      { Cmd: ['x'] },
      { ...context, cmdSetInStage: true },
    );
    expect(kept.config.Cmd).toEqual(['x']);
  });

  it('EXPOSE, WORKDIR, HEALTHCHECK and ONBUILD', () => {
    expect(applyMetadata(instruction('EXPOSE $V 53/udp'), {}, context).config.ExposedPorts).toEqual(
      {
        '8080/tcp': {},
        '53/udp': {},
      },
    );
    expect(
      applyMetadata(instruction('WORKDIR sub'), { WorkingDir: '/app' }, context).config.WorkingDir,
    ).toBe('/app/sub');
    const health = applyMetadata(
      instruction('HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost'),
      {},
      context,
    );
    expect(health.config.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'wget -q localhost'],
      Interval: 5e9,
      Retries: 2,
    });
    expect(applyMetadata(instruction('ONBUILD run echo'), {}, context).config.OnBuild).toEqual([
      'RUN echo',
    ]);
  });

  it('names the line and the problem for bad input', () => {
    expect(() => applyMetadata(instruction('\n\nEXPOSE nope'), {}, context)).toThrow(
      'Dockerfile line 3: EXPOSE has an invalid port: nope',
    );
    expect(() => applyMetadata(instruction('SHELL sh -c'), {}, context)).toThrow('JSON form');
    expect(() => applyMetadata(instruction('ONBUILD ONBUILD RUN x'), {}, context)).toThrow(
      'chaining',
    );
  });
});

describe('COPY sources and destinations', () => {
  let context: string;
  let root: string;
  beforeEach(() => {
    context = join(work, 'ctx');
    root = join(work, 'root');
    mkdirSync(join(context, 'dir', 'nested'), { recursive: true });
    mkdirSync(join(root, 'existing'), { recursive: true });
    writeFileSync(join(context, 'a.txt'), 'a');
    writeFileSync(join(context, 'b.txt'), 'b');
    writeFileSync(join(context, 'secret.key'), 's');
    writeFileSync(join(context, 'dir', 'nested', 'n.txt'), 'n');
  });

  it('resolves plain paths and globs, and names missing or excluded sources', async () => {
    const ignore = new DockerIgnore('*.key\n');
    const source = { dir: context, ignore };
    const found = await resolveSources(source, ['*.txt', 'dir'], 'COPY');
    expect(found.map((f) => f.relative)).toEqual(['a.txt', 'b.txt', 'dir']);
    await expect(resolveSources(source, ['secret.key'], 'COPY')).rejects.toThrow(
      'COPY failed: secret.key is excluded by .dockerignore (pattern "*.key")',
    );
    await expect(resolveSources(source, ['nothere'], 'COPY')).rejects.toBeInstanceOf(
      CopySourceError,
    );
    const before = await hashSources(source, found);
    expect(before).toMatch(/^multi:[a-f0-9]{64}$/);
    writeFileSync(join(context, 'dir', 'nested', 'n.txt'), 'changed');
    expect(await hashSources(source, found)).not.toBe(before);
  });

  it('copies a file, a folder content, with --chown and --chmod', async () => {
    const source = { dir: context };
    const options = {
      destIsDir: false,
      extractArchives: false,
      keyword: 'COPY',
      scratchDir: join(work, 's'),
    };
    await copyInto(root, source, await resolveSources(source, ['a.txt'], 'COPY'), {
      ...options,
      dest: '/existing',
    });
    expect(readFileSync(join(root, 'existing', 'a.txt'), 'utf8')).toBe('a');
    await copyInto(root, source, await resolveSources(source, ['dir'], 'COPY'), {
      ...options,
      dest: '/new/place',
      owner: { uid: 1000, gid: 1001 },
      mode: parseChmod('0750'),
    });
    const copied = lstatSync(join(root, 'new', 'place', 'nested', 'n.txt'));
    expect([copied.uid, copied.gid, copied.mode & 0o777]).toEqual([1000, 1001, 0o750]);
    await expect(
      copyInto(root, source, await resolveSources(source, ['a.txt', 'b.txt'], 'COPY'), {
        ...options,
        dest: '/file',
      }),
    ).rejects.toThrow('the destination must be a directory and end with a /');
  });
});
