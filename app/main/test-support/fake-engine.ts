// A small in-memory Engine API on a unix socket, for unit tests whose point is the service and
// transport logic (mapping, 304/409 handling, progress, events). Real engines are covered by e2e.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeContainer {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Ports: { PrivatePort: number; PublicPort?: number; IP?: string; Type: string }[];
  Labels: Record<string, string>;
}

export interface FakeEngine {
  socketPath: string;
  endpoint: string;
  containers: FakeContainer[];
  apiVersion: string;
  /** Pushes one event to every open /events stream. */
  emitEvent(event: Record<string, unknown>): void;
  openEventStreams(): number;
  requests: string[];
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': '1.43' });
  res.end(JSON.stringify(body));
}

export function fakeContainer(
  id: string,
  name: string,
  state: string,
  labels: Record<string, string> = {},
): FakeContainer {
  return {
    Id: id,
    Names: [`/${name}`],
    Image: 'busybox:latest',
    ImageID: 'sha256:busybox',
    Command: 'sh',
    Created: 1_700_000_000,
    State: state,
    Status: state === 'running' ? 'Up 5 seconds' : 'Exited (0) 3 seconds ago',
    Ports: [],
    Labels: labels,
  };
}

export async function startFakeEngine(options: { apiVersion?: string } = {}): Promise<FakeEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-fake-engine-'));
  const socketPath = join(dir, 'engine.sock');
  const eventStreams = new Set<ServerResponse>();
  const engine: FakeEngine = {
    socketPath,
    endpoint: `unix://${socketPath}`,
    containers: [],
    apiVersion: options.apiVersion ?? '1.43',
    requests: [],
    emitEvent(event) {
      for (const stream of eventStreams) stream.write(`${JSON.stringify(event)}\n`);
    },
    openEventStreams: () => eventStreams.size,
    close: async () => {
      for (const stream of eventStreams) stream.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const find = (id: string) =>
    engine.containers.find((container) => container.Id === id || container.Names[0] === `/${id}`);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    engine.requests.push(`${req.method} ${path}`);
    const containerAction = /^\/containers\/([^/]+)\/(start|stop|restart|pause|unpause)$/.exec(
      path,
    );
    if (req.method === 'GET' && path === '/_ping') return res.end('OK');
    if (req.method === 'GET' && path === '/version') {
      return json(res, 200, {
        Version: '24.0.0-fake',
        ApiVersion: engine.apiVersion,
        Os: 'linux',
        Arch: 'amd64',
        KernelVersion: '6.1.0',
        Platform: { Name: 'Fake Engine' },
      });
    }
    if (req.method === 'GET' && path === '/info') {
      return json(res, 200, {
        Name: 'fakehost',
        OperatingSystem: 'FakeOS 1.0',
        OSType: 'linux',
        NCPU: 4,
        MemTotal: 8_000_000_000,
        Containers: engine.containers.length,
        ContainersRunning: engine.containers.filter((container) => container.State === 'running')
          .length,
        ContainersPaused: 0,
        ContainersStopped: engine.containers.filter((container) => container.State !== 'running')
          .length,
        Images: 1,
      });
    }
    if (req.method === 'GET' && path === '/containers/json')
      return json(res, 200, engine.containers);
    if (req.method === 'POST' && containerAction) {
      const container = find(containerAction[1]!);
      if (!container)
        return json(res, 404, { message: `No such container: ${containerAction[1]}` });
      const action = containerAction[2];
      if (action === 'start' && container.State === 'running') return res.writeHead(304).end();
      if (action === 'stop' && container.State !== 'running') return res.writeHead(304).end();
      if (action === 'pause' && container.State !== 'running') {
        return json(res, 409, { message: `Container ${container.Id} is not running` });
      }
      container.State = action === 'stop' ? 'exited' : action === 'pause' ? 'paused' : 'running';
      return res.writeHead(204).end();
    }
    const removal = /^\/containers\/([^/]+)$/.exec(path);
    if (req.method === 'DELETE' && removal) {
      const container = find(removal[1]!);
      if (!container) return json(res, 404, { message: `No such container: ${removal[1]}` });
      const force = ['1', 'true'].includes((url.searchParams.get('force') ?? '').toLowerCase());
      if (container.State === 'running' && !force) {
        return json(res, 409, {
          message: `You cannot remove a running container ${container.Id}. Stop the container before attempting removal or force remove`,
        });
      }
      engine.containers = engine.containers.filter((entry) => entry !== container);
      return res.writeHead(204).end();
    }
    if (req.method === 'POST' && path === '/images/create') {
      const image = url.searchParams.get('fromImage') ?? '';
      if (image.includes('missing'))
        return json(res, 404, { message: `manifest for ${image} not found` });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const lines = [
        { status: `Pulling from ${image}`, id: url.searchParams.get('tag') ?? 'latest' },
        { status: 'Downloading', id: 'layer1', progressDetail: { current: 50, total: 100 } },
        { status: 'Download complete', id: 'layer1' },
        { status: 'Pull complete', id: 'layer1' },
      ];
      // Split a line across chunks, as real engines do under load.
      const text = lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
      res.write(text.slice(0, 37));
      if (image.includes('broken')) {
        res.end(
          `${text.slice(37, text.indexOf('\n', 40) + 1)}{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}\n`,
        );
        return;
      }
      res.end(text.slice(37));
      return;
    }
    if (req.method === 'GET' && path === '/events') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      eventStreams.add(res);
      res.on('close', () => eventStreams.delete(res));
      return;
    }
    return json(res, 404, { message: `page not found: ${req.method} ${path}` });
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return engine;
}
