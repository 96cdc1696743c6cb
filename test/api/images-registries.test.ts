// dockerode against berthd: pull progress events, auth (basic, bearer-token flow), multi-arch
// indexes, zstd layers, bad registries and bad input, and a kill -9 in the middle of a pull.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  busyboxBaseLayer,
  busyboxImage,
  layeredImage,
  payloadImage,
  sha256,
  type BuiltImage,
} from '../fixtures/images';
import {
  freeLoopbackPort,
  startRegistryWithFixtures,
  type TestRegistry,
} from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import {
  imageIndex,
  serveImage,
  startAuthProxy,
  startFakeRegistry,
  zstdImage,
  type AuthProxy,
  type FakeRegistry,
} from './helpers/registries';

type ProgressEvent = {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
};

let registry: TestRegistry;
let fake: FakeRegistry;
let berthd: RunningBerthd;
let docker: Docker;
let busybox: BuiltImage;

beforeAll(async () => {
  busybox = busyboxImage();
  registry = await startRegistryWithFixtures({
    'berth-test/busybox:latest': busybox,
    'berth-test/layered:v1': layeredImage(),
  });
  fake = await startFakeRegistry();
  berthd = await startBerthd();
  docker = new Docker({ socketPath: berthd.socket });
});

afterAll(async () => {
  await berthd?.stop();
  await fake?.stop();
  await registry?.stop();
});

/** Pulls through dockerode and returns every progress event; rejects on HTTP or in-band errors. */
async function pull(
  reference: string,
  options: Record<string, unknown> = {},
): Promise<ProgressEvent[]> {
  const stream = (await docker.pull(reference, options)) as NodeJS.ReadableStream;
  return new Promise((resolve, reject) => {
    const events: ProgressEvent[] = [];
    docker.modem.followProgress(
      stream,
      (error: Error | null) => {
        const inBand = events.find((e) => e.error !== undefined);
        if (error) reject(error);
        else if (inBand) reject(new Error(inBand.error));
        else resolve(events);
      },
      (event: ProgressEvent) => events.push(event),
    );
  });
}

/** The failure of a pull: an HTTP error (statusCode set) or an in-band error line (message only). */
async function pullError(
  reference: string,
  options: Record<string, unknown> = {},
): Promise<{ statusCode?: number; message: string }> {
  try {
    await pull(reference, options);
  } catch (error) {
    if (typeof error === 'string') return { message: error };
    const { statusCode, message } = error as { statusCode?: number; message: string };
    return { statusCode, message };
  }
  throw new Error(`pulling ${reference} succeeded but should have failed`);
}

/** No partial layer or blob is left; cleanup after a cancelled pull may still be finishing. */
async function expectNoLeftovers(): Promise<void> {
  const leftovers = () => [
    ...readdirSync(join(berthd.dataRoot, 'layers', 'tmp')),
    ...readdirSync(join(berthd.dataRoot, 'image', 'blobs', 'ingest')),
  ];
  for (let i = 0; i < 50 && leftovers().length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(leftovers()).toEqual([]);
}

describe('dockerode against berthd: images', () => {
  it('streams docker-style progress events while pulling', async () => {
    const events = await pull(`${registry.host}/berth-test/busybox:latest`);
    const layerId = busybox.layers[0]?.digest.slice(7, 19);
    const statuses = events.filter((e) => e.id === layerId).map((e) => e.status);
    expect(statuses[0]).toBe('Pulling fs layer');
    expect(statuses).toContain('Downloading');
    expect(statuses.at(-1)).toBe('Pull complete');
    const downloading = events.filter((e) => e.status === 'Downloading');
    const last = downloading.at(-1)?.progressDetail;
    expect(last?.current).toBe(busybox.layers[0]?.data.length);
    expect(last?.total).toBe(busybox.layers[0]?.data.length);
    expect(events.at(-1)?.status).toMatch(/Downloaded newer image/);
  });

  it('lists, inspects, tags and removes through dockerode', async () => {
    const list = await docker.listImages({
      filters: { reference: [`${registry.host}/berth-test/*`] },
    });
    expect(list.map((i) => i.Id)).toEqual([busybox.id]);
    const labelled = await docker.listImages({
      filters: JSON.stringify({ label: ['nope=1'] }) as never,
    });
    expect(labelled).toEqual([]);
    const image = docker.getImage(`${registry.host}/berth-test/busybox`);
    expect((await image.inspect()).Id).toBe(busybox.id);
    await image.tag({ repo: 'dockerode/tagged', tag: 't1' });
    expect((await docker.getImage('dockerode/tagged:t1').inspect()).Id).toBe(busybox.id);
    const removed = await docker.getImage('dockerode/tagged:t1').remove();
    expect(removed).toEqual([{ Untagged: 'dockerode/tagged:t1' }]);
    const history = await image.history();
    expect(history[0].Id).toBe(busybox.id);
    const bad = await docker
      .listImages({ filters: JSON.stringify({ bogus: ['x'] }) as never })
      .catch((e: { statusCode: number; message: string }) => e);
    expect((bad as { statusCode: number }).statusCode).toBe(400);
    expect((bad as { message: string }).message).toContain("Invalid filter 'bogus'");
  });

  it('rejects a malformed reference with 400 and stores nothing', async () => {
    const error = await pullError('Bad//Ref:::x');
    expect(error.statusCode).toBe(400);
    expect(error.message).toContain('invalid reference format');
  });

  it('pulls through a registry that demands basic auth, with X-Registry-Auth credentials', async () => {
    const proxy = await startAuthProxy({
      upstream: registry.host,
      mode: 'basic',
      username: 'berth',
      password: 's3cret',
    });
    try {
      const denied = await pullError(`${proxy.host}/berth-test/layered:v1`);
      expect(denied.statusCode).toBe(403);
      expect(denied.message).toMatch(/denied/);
      const events = await pull(`${proxy.host}/berth-test/layered:v1`, {
        authconfig: { username: 'berth', password: 's3cret', serveraddress: proxy.host },
      });
      expect(events.at(-1)?.status).toMatch(/Downloaded newer image/);
      expect(proxy.log.some((r) => r.authorization?.startsWith('Basic '))).toBe(true);
    } finally {
      await proxy.stop();
    }
  });

  it('runs the bearer-token flow (realm, service, scope) and pushes through it', async () => {
    const proxy = await startAuthProxy({
      upstream: registry.host,
      mode: 'bearer',
      username: 'berth',
      password: 'tok3n',
    });
    try {
      const authconfig = { username: 'berth', password: 'tok3n', serveraddress: proxy.host };
      const events = await pull(`${proxy.host}/berth-test/busybox:latest`, { authconfig });
      expect(events.at(-1)?.status).toMatch(/for .*berth-test\/busybox:latest/);
      const tokenRequest = proxy.log.find((r) => r.path.startsWith('/token'));
      expect(tokenRequest?.path).toContain('scope=repository%3Aberth-test%2Fbusybox%3Apull');
      expect(tokenRequest?.authorization).toBe(
        'Basic ' + Buffer.from('berth:tok3n').toString('base64'),
      );
      expect(proxy.log.some((r) => r.authorization?.startsWith('Bearer '))).toBe(true);

      await docker
        .getImage(`${proxy.host}/berth-test/busybox:latest`)
        .tag({ repo: `${proxy.host}/pushed/viatoken`, tag: 'v1' });
      const stream = (await docker
        .getImage(`${proxy.host}/pushed/viatoken:v1`)
        .push({ authconfig })) as NodeJS.ReadableStream;
      const pushEvents = await new Promise<Array<{ aux?: { Digest?: string } }>>(
        (resolve, reject) => {
          const seen: Array<{ aux?: { Digest?: string } }> = [];
          docker.modem.followProgress(
            stream,
            (error: Error | null) => (error ? reject(error) : resolve(seen)),
            (e: { aux?: { Digest?: string } }) => seen.push(e),
          );
        },
      );
      expect(pushEvents.find((e) => e.aux)?.aux?.Digest).toBe(busybox.manifest.digest);
      const wrong = await pullError(`${proxy.host}/berth-test/busybox:latest`, {
        authconfig: { username: 'berth', password: 'wrong', serveraddress: proxy.host },
      });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.message).toContain('authentication');
    } finally {
      await proxy.stop();
    }
  });

  it('picks linux/amd64 from a multi-arch index, and another platform on request', async () => {
    const amd64 = buildImage({
      layers: [busyboxBaseLayer(), { '/arch': { kind: 'file', content: 'amd64\n' } }],
      format: 'oci',
    });
    const arm64 = buildImage({
      layers: [busyboxBaseLayer(), { '/arch': { kind: 'file', content: 'arm64\n' } }],
      format: 'oci',
      architecture: 'arm64',
    });
    await registry.push('multi/arch', amd64.manifest.digest.slice(7), amd64);
    await registry.push('multi/arch', arm64.manifest.digest.slice(7), arm64);
    const index = imageIndex([
      { image: arm64, os: 'linux', architecture: 'arm64', variant: 'v8' },
      { image: amd64, os: 'linux', architecture: 'amd64' },
    ]);
    await registry.pushManifest('multi/arch', 'latest', index.mediaType, index.data);
    await pull(`${registry.host}/multi/arch:latest`);
    const picked = await docker.getImage(`${registry.host}/multi/arch:latest`).inspect();
    expect(picked.Id).toBe(amd64.id);
    expect(picked.RepoDigests).toEqual([`${registry.host}/multi/arch@${index.digest}`]);
    await pull(`${registry.host}/multi/arch:latest`, { platform: 'linux/arm64' });
    const arm = await docker.getImage(`${registry.host}/multi/arch:latest`).inspect();
    expect(arm.Id).toBe(arm64.id);
    expect(arm.Architecture).toBe('arm64');
    const none = await pullError(`${registry.host}/multi/arch:latest`, { platform: 'linux/s390x' });
    expect(none.statusCode).toBe(404);
    expect(none.message).toContain('no matching manifest for linux/s390x');
  });

  it('refuses a single-platform image built for another platform', async () => {
    const arm = buildImage({
      layers: [{ '/x': { kind: 'file', content: 'x' } }],
      architecture: 'arm64',
    });
    serveImage(fake, 'other/platform', 'latest', arm);
    const error = await pullError(`${fake.host}/other/platform:latest`);
    expect(error.statusCode).toBe(404);
    expect(error.message).toContain('linux/arm64, not linux/amd64');
  });

  it('pulls zstd-compressed layers', async () => {
    const image = zstdImage([
      busyboxBaseLayer(),
      { '/zstd.txt': { kind: 'file', content: 'zstd layer\n' } },
    ]);
    await registry.push('zstd/image', 'latest', image);
    await pull(`${registry.host}/zstd/image:latest`);
    const inspect = await docker.getImage(`${registry.host}/zstd/image`).inspect();
    expect(inspect.Id).toBe(image.id);
    expect(inspect.RootFS.Layers).toEqual(image.diffIds);
  });

  it('rejects a registry that answers garbage', async () => {
    fake.manifests.set('garbage/manifest:latest', {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      data: Buffer.from('<html>oops</html>'),
    });
    const error = await pullError(`${fake.host}/garbage/manifest:latest`);
    expect(error.statusCode).toBe(400);
    expect(error.message).toContain('not JSON');
  });

  it('rejects a registry that is down', async () => {
    const port = await freeLoopbackPort();
    const error = await pullError(`127.0.0.1:${port}/nobody/home:latest`);
    expect(error.statusCode).toBe(400);
    expect(error.message).toContain(`cannot reach registry 127.0.0.1:${port}`);
  });

  it('rejects a layer whose content does not match its digest, storing nothing', async () => {
    const image = buildImage({ layers: [{ '/tampered': { kind: 'file', content: 'original' } }] });
    serveImage(fake, 'tampered/layer', 'latest', image);
    const layer = image.layers[0] as BuiltImage['layers'][number];
    const evil = Buffer.from(layer.data);
    evil[evil.length - 10] = (evil[evil.length - 10] as number) ^ 0xff;
    fake.blobs.set(layer.digest, evil);
    const error = await pullError(`${fake.host}/tampered/layer:latest`);
    expect(error.message).toMatch(/digest mismatch|corrupt|invalid|unexpected/i);
    await expect(docker.getImage(`${fake.host}/tampered/layer`).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
    await expectNoLeftovers();
  });

  it('rejects a truncated layer, storing nothing', async () => {
    const image = buildImage({
      layers: [{ '/big': { kind: 'file', content: Buffer.alloc(200_000, 7) } }],
      compression: 'none',
    });
    serveImage(fake, 'truncated/layer', 'latest', image);
    const layer = image.layers[0] as BuiltImage['layers'][number];
    fake.behaviour = (req, res) => {
      if (!req.url?.endsWith(layer.digest) || req.method !== 'GET') return false;
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': layer.data.length,
      });
      res.end(layer.data.subarray(0, 50_000));
      // Close the connection so the client sees the body end early.
      res.socket?.destroy();
      return true;
    };
    try {
      const error = await pullError(`${fake.host}/truncated/layer:latest`);
      expect(error.message).toMatch(/truncated|aborted|premature|download/i);
    } finally {
      fake.behaviour = undefined;
    }
    await expect(docker.getImage(`${fake.host}/truncated/layer`).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
    await expectNoLeftovers();
  });

  it('survives kill -9 in the middle of a pull: no half image, and the next pull completes', async () => {
    const big = payloadImage(1, 8 * 1024 * 1024);
    serveImage(fake, 'slow/payload', 'latest', big);
    const payload = big.layers[1] as BuiltImage['layers'][number];
    let sentHalf: () => void = () => undefined;
    const halfway = new Promise<void>((resolve) => (sentHalf = resolve));
    fake.behaviour = (req, res) => {
      if (!req.url?.endsWith(payload.digest) || req.method !== 'GET') return false;
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': payload.data.length,
      });
      res.write(payload.data.subarray(0, payload.data.length / 2), () => sentHalf());
      return true; // never finishes: the daemon dies first
    };
    try {
      const pulling = pull(`${fake.host}/slow/payload:latest`).catch((e) => e);
      await halfway;
      await berthd.kill9();
      await pulling;
      await berthd.restart();
      docker = new Docker({ socketPath: berthd.socket });
      await expect(docker.getImage(`${fake.host}/slow/payload`).inspect()).rejects.toMatchObject({
        statusCode: 404,
      });
      await expectNoLeftovers();
    } finally {
      fake.behaviour = undefined;
    }
    const events = await pull(`${fake.host}/slow/payload:latest`);
    expect(events.at(-1)?.status).toMatch(/Downloaded newer image/);
    expect((await docker.getImage(`${fake.host}/slow/payload`).inspect()).Id).toBe(big.id);
    expect(sha256(big.config.data)).toBe(big.id);
  });

  it('downloads a layer shared by two concurrent pulls once', async () => {
    const shared = buildImage({
      layers: [{ '/shared': { kind: 'file', content: Buffer.alloc(300_000, 3) } }],
    });
    serveImage(fake, 'concurrent/one', 'latest', shared);
    serveImage(fake, 'concurrent/two', 'latest', shared);
    const layer = shared.layers[0] as BuiltImage['layers'][number];
    let layerGets = 0;
    fake.behaviour = (req) => {
      if (req.method === 'GET' && req.url?.endsWith(layer.digest)) layerGets++;
      return false;
    };
    try {
      await Promise.all([
        pull(`${fake.host}/concurrent/one:latest`),
        pull(`${fake.host}/concurrent/two:latest`),
      ]);
    } finally {
      fake.behaviour = undefined;
    }
    expect(layerGets).toBe(1);
    expect((await docker.getImage(`${fake.host}/concurrent/two`).inspect()).Id).toBe(shared.id);
  });

  it('cancels a pull when the client hangs up, leaving nothing behind', async () => {
    const image = buildImage({
      layers: [{ '/slow': { kind: 'file', content: Buffer.alloc(2_000_000, 9) } }],
      compression: 'none',
    });
    serveImage(fake, 'hangup/image', 'latest', image);
    const layer = image.layers[0] as BuiltImage['layers'][number];
    let connection: import('node:net').Socket | undefined;
    fake.behaviour = (req, res) => {
      if (!req.url?.endsWith(layer.digest) || req.method !== 'GET') return false;
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': layer.data.length,
      });
      res.write(layer.data.subarray(0, 100_000));
      connection = res.socket ?? undefined;
      return true;
    };
    try {
      const stream = (await docker.pull(
        `${fake.host}/hangup/image:latest`,
      )) as NodeJS.ReadableStream & { destroy(): void };
      await new Promise<void>((resolve) => stream.once('data', () => resolve()));
      while (!connection) await new Promise((resolve) => setTimeout(resolve, 20));
      stream.destroy();
      // berthd drops its registry connection once the pull is cancelled.
      for (let i = 0; i < 100 && !connection.destroyed; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(connection.destroyed).toBe(true);
    } finally {
      fake.behaviour = undefined;
    }
    await expectNoLeftovers();
    await expect(docker.getImage(`${fake.host}/hangup/image`).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('finishes a shared layer for the second client when the first hangs up', async () => {
    const image = buildImage({
      layers: [{ '/held': { kind: 'file', content: Buffer.alloc(1_000_000, 4) } }],
      compression: 'none',
    });
    serveImage(fake, 'shared-hangup/one', 'latest', image);
    serveImage(fake, 'shared-hangup/two', 'latest', image);
    const layer = image.layers[0] as BuiltImage['layers'][number];
    let layerGets = 0;
    let release: (() => void) | undefined;
    fake.behaviour = (req, res) => {
      if (!req.url?.endsWith(layer.digest) || req.method !== 'GET') return false;
      layerGets++;
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': layer.data.length,
      });
      res.write(layer.data.subarray(0, 100_000));
      release = () => res.end(layer.data.subarray(100_000));
      return true;
    };
    try {
      const first = (await docker.pull(
        `${fake.host}/shared-hangup/one:latest`,
      )) as NodeJS.ReadableStream & { destroy(): void };
      first.resume();
      while (!release) await new Promise((resolve) => setTimeout(resolve, 20));
      const second = pull(`${fake.host}/shared-hangup/two:latest`);
      // Let the second pull join the download before the first client goes away.
      await new Promise((resolve) => setTimeout(resolve, 300));
      first.destroy();
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      const events = await second;
      expect(events.at(-1)?.status).toMatch(/Downloaded newer image/);
    } finally {
      fake.behaviour = undefined;
    }
    expect(layerGets).toBe(1);
    expect((await docker.getImage(`${fake.host}/shared-hangup/two`).inspect()).Id).toBe(image.id);
  });

  it('answers /distribution/{name}/json from the registry', async () => {
    const info = await docker.getImage(`${registry.host}/berth-test/busybox:latest`).distribution();
    expect(info.Descriptor.digest).toBe(busybox.manifest.digest);
    expect(info.Platforms).toEqual([{ architecture: 'amd64', os: 'linux' }]);
  });
});

export type { AuthProxy };
