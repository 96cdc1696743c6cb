// Registry variants the image tests need on top of test/fixtures/registry.ts:
// - an auth proxy in front of the real docker-registry, demanding Basic credentials or running
//   the bearer-token flow (401 + WWW-Authenticate realm/service/scope, then a /token endpoint);
// - a scripted fake registry that answers garbage, wrong digests or truncated blobs on purpose;
// - image builders for a zstd layer and a multi-arch index.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildImage,
  layerTar,
  sha256,
  type BuiltImage,
  type LayerSpec,
} from '../../fixtures/images';

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`127.0.0.1:${port}`);
    });
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface AuthProxy {
  host: string;
  /** Requests the proxy saw, for assertions about the auth flow. */
  log: Array<{ method: string; path: string; authorization?: string }>;
  tokensIssued: number;
  stop(): Promise<void>;
}

/**
 * Forwards to `upstream` (host:port) only requests carrying valid credentials. In bearer mode
 * tokens come from GET /token with Basic credentials and the requested scope.
 */
export async function startAuthProxy(options: {
  upstream: string;
  mode: 'basic' | 'bearer';
  username: string;
  password: string;
}): Promise<AuthProxy> {
  const basic =
    'Basic ' + Buffer.from(`${options.username}:${options.password}`).toString('base64');
  const tokens = new Set<string>();
  const state = { log: [] as AuthProxy['log'], tokensIssued: 0 };
  let host = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    state.log.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
    if (options.mode === 'bearer' && path.startsWith('/token')) {
      const url = new URL(path, `http://${host}`);
      if (
        req.headers.authorization !== basic ||
        url.searchParams.get('service') !== 'berth-test-registry'
      ) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
        return;
      }
      const token = randomBytes(16).toString('hex');
      tokens.add(token);
      state.tokensIssued++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token, expires_in: 300, scope: url.searchParams.get('scope') }));
      return;
    }
    const auth = req.headers.authorization ?? '';
    const ok = options.mode === 'basic' ? auth === basic : tokens.has(auth.replace(/^Bearer /, ''));
    if (!ok) {
      const repo = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(path)?.[1];
      const challenge =
        options.mode === 'basic'
          ? 'Basic realm="berth-test"'
          : `Bearer realm="http://${host}/token",service="berth-test-registry"${repo ? `,scope="repository:${repo}:pull"` : ''}`;
      req.resume();
      res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': challenge });
      res.end(
        JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }),
      );
      return;
    }
    const [upstreamHost, upstreamPort] = options.upstream.split(':');
    const headers = { ...req.headers, host: options.upstream };
    delete headers.authorization;
    const forward = request(
      { host: upstreamHost, port: Number(upstreamPort), method: req.method, path, headers },
      (upstream) => {
        const responseHeaders = { ...upstream.headers };
        // Upload locations point at the upstream: rewrite them to come back through us.
        if (typeof responseHeaders.location === 'string') {
          responseHeaders.location = responseHeaders.location.replace(
            `http://${options.upstream}`,
            `http://${host}`,
          );
        }
        res.writeHead(upstream.statusCode ?? 502, responseHeaders);
        upstream.pipe(res);
      },
    );
    forward.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  host = await listen(server);
  return {
    host,
    get log() {
      return state.log;
    },
    get tokensIssued() {
      return state.tokensIssued;
    },
    stop: () => close(server),
  };
}

export type FakeBehaviour = (req: IncomingMessage, res: ServerResponse) => boolean | void;

export interface FakeRegistry {
  host: string;
  /** Content served at /v2/<repo>/manifests/<ref> and /v2/<repo>/blobs/<digest>. */
  manifests: Map<string, { mediaType: string; data: Buffer }>;
  blobs: Map<string, Buffer>;
  /** A hook that may answer a request itself (return true) to misbehave. */
  behaviour?: FakeBehaviour;
  stop(): Promise<void>;
}

/** A registry we script: serves what we put in it, and misbehaves on request. */
export async function startFakeRegistry(): Promise<FakeRegistry> {
  const fake = {
    host: '',
    manifests: new Map<string, { mediaType: string; data: Buffer }>(),
    blobs: new Map<string, Buffer>(),
    behaviour: undefined as FakeBehaviour | undefined,
    stop: async (): Promise<void> => undefined,
  };
  const server = createServer((req, res) => {
    req.resume();
    if (fake.behaviour?.(req, res)) return;
    const path = req.url ?? '/';
    if (path === '/v2/' || path === '/v2') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
      return;
    }
    const manifest = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(path);
    if (manifest) {
      const entry = fake.manifests.get(`${manifest[1]}:${manifest[2]}`);
      if (!entry) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }),
        );
        return;
      }
      res.writeHead(200, { 'Content-Type': entry.mediaType, 'Content-Length': entry.data.length });
      res.end(req.method === 'HEAD' ? undefined : entry.data);
      return;
    }
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(path);
    const data = blob ? fake.blobs.get(blob[2] as string) : undefined;
    if (!data) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }));
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': data.length,
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  });
  fake.host = await listen(server);
  fake.stop = () => close(server);
  return fake;
}

/** Puts a built image into a fake registry under repo:tag. */
export function serveImage(fake: FakeRegistry, repo: string, tag: string, image: BuiltImage): void {
  for (const blob of [...image.layers, image.config]) fake.blobs.set(blob.digest, blob.data);
  fake.manifests.set(`${repo}:${tag}`, {
    mediaType: image.manifest.mediaType,
    data: image.manifest.data,
  });
  fake.manifests.set(`${repo}:${image.manifest.digest}`, {
    mediaType: image.manifest.mediaType,
    data: image.manifest.data,
  });
}

/** An OCI image whose layers are zstd-compressed (with the `zstd` CLI, as registries see them). */
export function zstdImage(layers: LayerSpec[]): BuiltImage {
  const plain = buildImage({ layers, format: 'oci', compression: 'none' });
  const tars = layers.map(layerTar);
  const blobs = tars.map((tar) => {
    const data = execFileSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1 << 30 });
    return { digest: sha256(data), mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', data };
  });
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: plain.config.mediaType,
      size: plain.config.data.length,
      digest: plain.config.digest,
    },
    layers: blobs.map((b) => ({ mediaType: b.mediaType, size: b.data.length, digest: b.digest })),
  };
  const data = Buffer.from(JSON.stringify(manifest));
  return {
    ...plain,
    layers: blobs,
    manifest: { digest: sha256(data), mediaType: manifest.mediaType, data },
  };
}

/** An OCI index over per-platform images (plus an attestation entry, as BuildKit writes). */
export function imageIndex(
  entries: Array<{ image: BuiltImage; os: string; architecture: string; variant?: string }>,
): {
  mediaType: string;
  data: Buffer;
  digest: string;
} {
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      ...entries.map((e) => ({
        mediaType: e.image.manifest.mediaType,
        digest: e.image.manifest.digest,
        size: e.image.manifest.data.length,
        platform: {
          os: e.os,
          architecture: e.architecture,
          ...(e.variant ? { variant: e.variant } : {}),
        },
      })),
    ],
  };
  const data = Buffer.from(JSON.stringify(index));
  return { mediaType: index.mediaType, data, digest: sha256(data) };
}
