// Bench scenario: pull an image of 3 × 50 MB gzip layers from a loopback registry, measured in
// compressed MB/s. The same code drives berthd and dockerd through the Engine API socket.
import { request } from 'node:http';
import type { BenchContext, BenchEngine, Scenario } from './harness';
import { payloadImage } from '../fixtures/images';
import { pushImage } from '../fixtures/registry';

export const pullBenchRepository = 'bench/pull3x50';
const layerBytes = 50 * 1024 * 1024;

function engineCall(
  socket: string,
  method: string,
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: socket, method, path, headers: { 'X-Registry-Auth': 'e30=' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Compressed bytes of the image's layers, read from the registry's manifest. */
async function compressedSize(registryRef: string): Promise<number> {
  const slash = registryRef.indexOf('/');
  const host = registryRef.slice(0, slash);
  const [path, tag = 'latest'] = registryRef.slice(slash + 1).split(':');
  const response = await fetch(`http://${host}/v2/${path}/manifests/${tag}`, {
    headers: {
      Accept:
        'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
    },
  });
  if (!response.ok) throw new Error(`manifest of ${registryRef}: HTTP ${response.status}`);
  const manifest = (await response.json()) as { layers: Array<{ size: number }> };
  return manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}

/** Removes the image (and so its layers) if present, then times one full pull. */
export async function pullScenario(
  socket: string,
  registryRef: string,
): Promise<{ seconds: number; bytes: number }> {
  const bytes = await compressedSize(registryRef);
  const removed = await engineCall(
    socket,
    'DELETE',
    `/images/${encodeURIComponent(registryRef)}?force=1`,
  );
  if (removed.status !== 200 && removed.status !== 404)
    throw new Error(`removing ${registryRef}: ${removed.status} ${removed.body}`);
  const started = process.hrtime.bigint();
  const pulled = await engineCall(
    socket,
    'POST',
    `/images/create?fromImage=${encodeURIComponent(registryRef)}`,
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (pulled.status !== 200 || pulled.body.includes('"errorDetail"')) {
    throw new Error(`pull of ${registryRef} failed: ${pulled.status} ${pulled.body.slice(-500)}`);
  }
  return { seconds, bytes };
}

/** Puts the bench image into the registry (once per run). */
export async function preparePullImage(registryHost: string): Promise<string> {
  const reference = `${registryHost}/${pullBenchRepository}:latest`;
  const exists = await fetch(`http://${registryHost}/v2/${pullBenchRepository}/manifests/latest`, {
    method: 'HEAD',
  });
  if (!exists.ok) {
    const image = payloadImage(3, layerBytes);
    await pushImage(`http://${registryHost}`, pullBenchRepository, 'latest', image);
  }
  return reference;
}

export const pullBench: Scenario = {
  name: 'pull 3 × 50 MB gzip layers (compressed MB/s)',
  unit: 'MB/s',
  higherIsBetter: true,
  samples: 3,
  goalRatio: 3,
  async prepare(_engine: BenchEngine, context: BenchContext) {
    await preparePullImage(context.registryHost);
  },
  async sample(engine: BenchEngine, context: BenchContext) {
    const { seconds, bytes } = await pullScenario(
      engine.socket,
      `${context.registryHost}/${pullBenchRepository}:latest`,
    );
    return bytes / 1e6 / seconds;
  },
  async cleanup(engine: BenchEngine, context: BenchContext) {
    await engineCall(
      engine.socket,
      'DELETE',
      `/images/${encodeURIComponent(`${context.registryHost}/${pullBenchRepository}:latest`)}?force=1`,
    );
  },
};
