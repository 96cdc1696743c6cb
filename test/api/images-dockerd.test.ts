// `docker save` / `docker load` round trips between berthd and the reference dockerd: archives
// written by either engine load into the other with the same image ID and layers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layeredImage, type BuiltImage } from '../fixtures/images';
import { startDockerd, type ReferenceDockerd } from '../fixtures/dockerd';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';

let registry: TestRegistry;
let berthd: RunningBerthd;
let dockerd: ReferenceDockerd;
let berth: DockerCli;
let docker: DockerCli;
let layered: BuiltImage;

beforeAll(async () => {
  layered = layeredImage();
  registry = await startRegistryWithFixtures({ 'berth-test/layered:v1': layered });
  berthd = await startBerthd();
  dockerd = await startDockerd({ insecureRegistries: [registry.host] });
  berth = new DockerCli(berthd.socket);
  docker = new DockerCli(dockerd.socket);
});

afterAll(async () => {
  berth?.dispose();
  docker?.dispose();
  await dockerd?.stop();
  await berthd?.stop();
  await registry?.stop();
});

async function inspect(
  cli: DockerCli,
  ref: string,
): Promise<{
  Id: string;
  RootFS: { Layers: string[] };
  Config: { Labels: Record<string, string> };
}> {
  return JSON.parse(await cli.ok(['image', 'inspect', ref]))[0];
}

describe('save/load between berthd and dockerd', () => {
  it('loads a berthd save into dockerd', async () => {
    const ref = `${registry.host}/berth-test/layered:v1`;
    await berth.ok(['pull', ref]);
    const archive = await berth.runBuffer(['save', ref]);
    expect(await docker.ok(['load'], { input: archive })).toContain(`Loaded image: ${ref}`);
    const loaded = await inspect(docker, ref);
    expect(loaded.Id).toBe(layered.id);
    expect(loaded.RootFS.Layers).toEqual(layered.diffIds);
  });

  it('loads a dockerd save (legacy layout, gzip-compressed too) into berthd', async () => {
    await docker.ok(['tag', `${registry.host}/berth-test/layered:v1`, 'from-dockerd/layered:1']);
    const archive = await docker.runBuffer(['save', 'from-dockerd/layered:1']);
    expect(await berth.ok(['load'], { input: archive })).toContain(
      'Loaded image: from-dockerd/layered:1',
    );
    const loaded = await inspect(berth, 'from-dockerd/layered:1');
    expect(loaded.Id).toBe(layered.id);
    expect(loaded.Config.Labels).toEqual({ 'org.berth.fixture': 'layered' });
    await berth.ok(['rmi', '-f', layered.id]);
    const { gzipSync } = await import('node:zlib');
    expect(await berth.ok(['load'], { input: gzipSync(archive) })).toContain(
      'Loaded image: from-dockerd/layered:1',
    );
    expect((await inspect(berth, 'from-dockerd/layered:1')).RootFS.Layers).toEqual(layered.diffIds);
  });
});
