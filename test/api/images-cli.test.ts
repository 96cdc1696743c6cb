// The machine's docker CLI against the built berthd and a real docker-registry: pull with
// progress, images, inspect, history, tag, rmi, push, save/load, import, prune, system df.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage, layeredImage, type BuiltImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { startAuthProxy } from './helpers/registries';

let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let busybox: BuiltImage;
let layered: BuiltImage;

beforeAll(async () => {
  busybox = busyboxImage();
  layered = layeredImage();
  registry = await startRegistryWithFixtures({
    'berth-test/busybox:latest': busybox,
    'berth-test/layered:v1': layered,
  });
  berthd = await startBerthd();
  cli = new DockerCli(berthd.socket);
});

afterAll(async () => {
  cli?.dispose();
  await berthd?.stop();
  await registry?.stop();
});

const ref = (name: string) => `${registry.host}/${name}`;

async function listedImages(): Promise<Array<{ Repository: string; Tag: string; ID: string }>> {
  const out = await cli.ok(['images', '--format', '{{json .}}']);
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { Repository: string; Tag: string; ID: string });
}

describe('docker CLI against berthd: images', () => {
  it('pulls an image, drawing per-layer progress, and lists it', async () => {
    const out = await cli.ok(['pull', ref('berth-test/busybox')]);
    expect(out).toContain('Using default tag: latest');
    expect(out).toContain(`${busybox.layers[0]?.digest.slice(7, 19)}: Pull complete`);
    expect(out).toContain(`Digest: ${busybox.manifest.digest}`);
    expect(out).toContain(`Status: Downloaded newer image for ${ref('berth-test/busybox:latest')}`);
    const images = await listedImages();
    expect(images).toContainEqual(
      expect.objectContaining({
        Repository: ref('berth-test/busybox'),
        Tag: 'latest',
        ID: busybox.id.slice(7, 19),
      }),
    );
    const again = await cli.ok(['pull', ref('berth-test/busybox')]);
    expect(again).toContain('Image is up to date');
  });

  it('reuses the shared base layer when pulling a second image', async () => {
    const out = await cli.ok(['pull', ref('berth-test/layered:v1')]);
    expect(out).toContain(`${layered.layers[0]?.digest.slice(7, 19)}: Already exists`);
    expect(out).toContain(`${layered.layers[2]?.digest.slice(7, 19)}: Pull complete`);
  });

  it('pulls by digest, and removes the digest reference', async () => {
    const byDigest = `${ref('berth-test/layered')}@${layered.manifest.digest}`;
    const out = await cli.ok(['pull', byDigest]);
    expect(out).toContain(`Digest: ${layered.manifest.digest}`);
    const digests = await cli.ok([
      'images',
      '--digests',
      '--format',
      '{{.Repository}} {{.Digest}}',
    ]);
    expect(digests).toContain(`${ref('berth-test/layered')} ${layered.manifest.digest}`);
    expect(JSON.parse(await cli.ok(['image', 'inspect', byDigest]))[0].Id).toBe(layered.id);
  });

  it('converts whiteouts and opaque dirs for overlayfs in the unpacked layers', async () => {
    const inspect = JSON.parse(await cli.ok(['image', 'inspect', ref('berth-test/layered:v1')]))[0];
    const top: string = inspect.GraphDriver.Data.UpperDir;
    expect(lstatSync(join(top, 'data', 'remove-me.txt')).isCharacterDevice()).toBe(true);
    expect(readdirSync(join(top, 'opq'))).toEqual(['new.txt']);
  });

  it('inspects with Docker field names and the fixture figures', async () => {
    const [inspect] = JSON.parse(await cli.ok(['image', 'inspect', ref('berth-test/layered:v1')]));
    expect(inspect.Id).toBe(layered.id);
    expect(inspect.RepoTags).toEqual([ref('berth-test/layered:v1')]);
    expect(inspect.RepoDigests).toEqual([
      `${ref('berth-test/layered')}@${layered.manifest.digest}`,
    ]);
    expect(inspect.RootFS.Layers).toEqual(layered.diffIds);
    expect(inspect.Config.Labels).toEqual({ 'org.berth.fixture': 'layered' });
    expect(inspect.Config.WorkingDir).toBe('/data');
    expect(inspect.Os).toBe('linux');
    expect(inspect.Size).toBeGreaterThan(1_000_000);
    const format = await cli.ok([
      'inspect',
      '--format',
      '{{.Architecture}} {{len .RootFS.Layers}}',
      ref('berth-test/layered:v1'),
    ]);
    expect(format.trim()).toBe('amd64 3');
  });

  it('shows history newest first with the image ID on top', async () => {
    const out = await cli.ok([
      'history',
      '--no-trunc',
      '--format',
      '{{.ID}}|{{.CreatedBy}}',
      ref('berth-test/layered:v1'),
    ]);
    const rows = out.trim().split('\n');
    expect(rows).toEqual([
      `${layered.id}|RUN rm /data/remove-me.txt && rebuild /opq`,
      '<missing>|ADD data and opq',
      '<missing>|ADD busybox-static /bin/busybox',
    ]);
  });

  it('tags, then untags without deleting while another tag remains', async () => {
    await cli.ok(['tag', ref('berth-test/layered:v1'), 'local/layered:extra']);
    expect(await listedImages()).toContainEqual(
      expect.objectContaining({
        Repository: 'local/layered',
        Tag: 'extra',
        ID: layered.id.slice(7, 19),
      }),
    );
    const refused = await cli.run(['rmi', layered.id.slice(7, 19)]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('must be forced');
    const out = await cli.ok(['rmi', 'local/layered:extra']);
    expect(out.trim()).toBe('Untagged: local/layered:extra');
    expect((await listedImages()).map((i) => i.Repository)).toContain(ref('berth-test/layered'));
  });

  it('answers clear errors for unknown images and tags', async () => {
    const missing = await cli.run(['image', 'inspect', 'no/such-image:nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('No such image: no/such-image:nope');
    const pull = await cli.run(['pull', ref('berth-test/busybox:no-such-tag')]);
    expect(pull.code).not.toBe(0);
    expect(pull.stderr).toMatch(/manifest .*no-such-tag.* not found/);
    const rmi = await cli.run(['rmi', 'no/such-image']);
    expect(rmi.stderr).toContain('No such image');
  });

  it('pushes to the registry with progress, reusing blobs it already has', async () => {
    await cli.ok(['tag', ref('berth-test/layered:v1'), ref('pushed/layered:v2')]);
    const first = await cli.ok(['push', ref('pushed/layered:v2')]);
    expect(first).toContain(`The push refers to repository [${ref('pushed/layered')}]`);
    expect(first).toContain('Pushed');
    expect(first).toContain(`v2: digest: ${layered.manifest.digest}`);
    const second = await cli.ok(['push', ref('pushed/layered:v2')]);
    expect(second).toContain('Layer already exists');
    expect(second).not.toContain(': Pushed');
    // What we pushed pulls back to the same image.
    await cli.ok(['rmi', ref('pushed/layered:v2')]);
    const pulled = await cli.ok(['pull', ref('pushed/layered:v2')]);
    expect(pulled).toContain(`Digest: ${layered.manifest.digest}`);
    expect(JSON.parse(await cli.ok(['image', 'inspect', ref('pushed/layered:v2')]))[0].Id).toBe(
      layered.id,
    );
  });

  it('saves and loads an image round trip', async () => {
    const archive = await cli.runBuffer(['save', ref('berth-test/layered:v1')]);
    await cli.ok(['rmi', '-f', layered.id]);
    expect((await listedImages()).map((i) => i.ID)).not.toContain(layered.id.slice(7, 19));
    const out = await cli.ok(['load'], { input: archive });
    expect(out).toContain(`Loaded image: ${ref('berth-test/layered:v1')}`);
    const [inspect] = JSON.parse(await cli.ok(['image', 'inspect', ref('berth-test/layered:v1')]));
    expect(inspect.Id).toBe(layered.id);
    expect(inspect.RootFS.Layers).toEqual(layered.diffIds);
  });

  it('imports a tarball, prunes dangling images, and reports disk usage', async () => {
    const tar = await cli.runBuffer(['save', ref('berth-test/busybox')]);
    const id = (await cli.ok(['import', '--change', 'CMD ["sh"]', '-'], { input: tar })).trim();
    expect(id).toMatch(/^sha256:[a-f0-9]{64}$/);
    const [imported] = JSON.parse(await cli.ok(['image', 'inspect', id]));
    expect(imported.Config.Cmd).toEqual(['sh']);
    expect(imported.RepoTags).toEqual([]);
    const df = await cli.ok(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
    expect(df).toMatch(/^Images [1-9]\d*$/m);
    const pruned = await cli.ok(['image', 'prune', '-f']);
    expect(pruned).toContain(`deleted: ${id}`);
    await expect(cli.ok(['image', 'inspect', id])).rejects.toThrow(/No such image/);
    // Tagged images survive a dangling-only prune.
    expect((await listedImages()).map((i) => i.Repository)).toContain(ref('berth-test/busybox'));
  });

  it('logs in through the bearer-token flow and pulls with the stored credentials', async () => {
    const proxy = await startAuthProxy({
      upstream: registry.host,
      mode: 'bearer',
      username: 'cli-user',
      password: 'cli-pass',
    });
    try {
      const denied = await cli.run(['pull', `${proxy.host}/berth-test/busybox`]);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/denied|authentication/);
      const wrong = await cli.run(['login', '-u', 'cli-user', '--password-stdin', proxy.host], {
        input: Buffer.from('nope\n'),
      });
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toContain('authentication to');
      const login = await cli.ok(['login', '-u', 'cli-user', '--password-stdin', proxy.host], {
        input: Buffer.from('cli-pass\n'),
      });
      expect(login).toContain('Login Succeeded');
      const pulled = await cli.ok(['pull', `${proxy.host}/berth-test/busybox`]);
      expect(pulled).toContain(`Digest: ${busybox.manifest.digest}`);
      expect(proxy.tokensIssued).toBeGreaterThanOrEqual(2);
      await cli.ok(['logout', proxy.host]);
    } finally {
      await proxy.stop();
    }
  });

  it('keeps images across a daemon restart', async () => {
    await berthd.restart();
    expect((await listedImages()).map((i) => i.ID)).toContain(busybox.id.slice(7, 19));
  });

  it('prunes every unused image with -a', async () => {
    const out = await cli.ok(['image', 'prune', '-a', '-f']);
    expect(out).toContain(`deleted: ${busybox.id}`);
    expect(await listedImages()).toEqual([]);
    expect(readdirSync(join(berthd.dataRoot, 'layers', 'sha256'))).toEqual([]);
  });
});
