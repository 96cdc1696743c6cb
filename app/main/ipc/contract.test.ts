// The contract suite: the same calls, over every transport, against the same fake engine.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../../shared/errors';
import { createRpcClient, subscribe, type RpcClient } from '../../shared/rpc/client';
import type { EngineEvent, PullProgress } from '../../shared/types';
import { createServices } from '../services/index';
import { fakeContainer, startFakeEngine, type FakeEngine } from '../test-support/fake-engine';
import {
  inProcessTransport,
  websocketTransport,
  type TestTransport,
} from '../test-support/transports';

const transports = [
  [
    'in-process',
    async (services: ReturnType<typeof createServices>['services']) => inProcessTransport(services),
  ],
  ['websocket', websocketTransport],
] as const;

describe.each(transports)('contract over %s transport', (_name, makeTransport) => {
  let engine: FakeEngine;
  let transport: TestTransport;
  let client: RpcClient;

  beforeAll(async () => {
    engine = await startFakeEngine();
  });
  afterAll(async () => {
    await engine.close();
  });
  beforeEach(async () => {
    engine.containers = [
      fakeContainer('aaa111', 'web', 'running', {
        'com.docker.compose.project': 'shop',
        'com.docker.compose.service': 'web',
      }),
      fakeContainer('bbb222', 'db', 'exited'),
    ];
    const { services } = createServices({
      configDir: undefined,
      cliEngine: engine.endpoint,
      env: {},
      dockerConfigDir: '/nonexistent',
    });
    transport = await makeTransport(services);
    client = createRpcClient(transport.channel);
  });
  afterEach(async () => {
    client.dispose();
    await transport.close();
  });

  it('reports the engine status from /version and /info', async () => {
    const status = await client.services.engine.status();
    expect(status.state).toBe('connected');
    if (status.state !== 'connected') return;
    expect(status.info).toMatchObject({
      version: '24.0.0-fake',
      apiVersion: '1.43',
      os: 'FakeOS 1.0',
      cpus: 4,
      serverName: 'Fake Engine',
    });
    expect(status.engine.endpoint).toBe(engine.endpoint);
  });

  it('lists containers with names, states and compose projects', async () => {
    const containers = await client.services.containers.list();
    expect(
      containers.map((container) => [container.name, container.state, container.composeProject]),
    ).toEqual([
      ['web', 'running', 'shop'],
      ['db', 'exited', undefined],
    ]);
  });

  it('treats start-when-running and stop-when-stopped (304) as success', async () => {
    await expect(client.services.containers.start({ id: 'aaa111' })).resolves.toBeNull();
    await expect(client.services.containers.stop({ id: 'bbb222' })).resolves.toBeNull();
  });

  it('maps engine 404 and 409 to stable error codes with the engine message', async () => {
    const missing = await client.services.containers
      .start({ id: 'nope' })
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ServiceError);
    expect(missing).toMatchObject({ code: 'not_found', message: 'No such container: nope' });
    const running = await client.services.containers
      .remove({ id: 'aaa111' })
      .catch((error: unknown) => error);
    expect(running).toMatchObject({ code: 'conflict' });
    expect((running as ServiceError).message).toContain('cannot remove a running container');
  });

  it('runs bulk actions and reports every item, failures included', async () => {
    const seen: string[] = [];
    const results = await client.services.containers.bulk(
      { action: 'pause', ids: ['aaa111', 'bbb222', 'ghost'] },
      { onProgress: (result) => seen.push(result.id) },
    );
    expect(results.map((result) => [result.id, result.ok, result.error?.code])).toEqual([
      ['aaa111', true, undefined],
      ['bbb222', false, 'conflict'],
      ['ghost', false, 'not_found'],
    ]);
    expect(seen.sort()).toEqual(['aaa111', 'bbb222', 'ghost']);
  });

  it('streams pull progress lines and resolves when the pull completes', async () => {
    const progress: PullProgress[] = [];
    await client.services.images.pull(
      { ref: 'registry.test:5000/app' },
      { onProgress: (line) => progress.push(line) },
    );
    expect(progress).toEqual([
      { id: 'latest', status: 'Pulling from registry.test:5000/app' },
      { id: 'layer1', status: 'Downloading', current: 50, total: 100 },
      { id: 'layer1', status: 'Download complete' },
      { id: 'layer1', status: 'Pull complete' },
    ]);
  });

  it('turns an in-band pull error into a failed call', async () => {
    await expect(client.services.images.pull({ ref: 'broken/app' })).rejects.toMatchObject({
      code: 'internal',
      message: 'unexpected EOF',
    });
    await expect(client.services.images.pull({ ref: 'missing/app' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('delivers engine events to a subscription until it is disposed', async () => {
    const events: EngineEvent[] = [];
    const ended: unknown[] = [];
    const dispose = subscribe<EngineEvent>(
      (options) => client.services.engine.events(undefined, options),
      (event) => events.push(event),
      (error) => ended.push(error),
    );
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]).toMatchObject({ type: 'engine', action: 'connected' });
    engine.emitEvent({
      Type: 'container',
      Action: 'start',
      Actor: { ID: 'aaa111', Attributes: { name: 'web' } },
      time: 1,
    });
    await expect.poll(() => events.length).toBe(2);
    expect(events[1]).toEqual({
      type: 'container',
      action: 'start',
      id: 'aaa111',
      attributes: { name: 'web' },
      time: 1,
    });
    dispose();
    await expect.poll(() => engine.openEventStreams()).toBe(0);
    expect(ended).toEqual([]);
  });

  it('refuses arguments that fail the contract with invalid_argument naming the field', async () => {
    await expect(client.call('containers', 'start', { id: 42 })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: 'id: expected a string, got number',
    });
    await expect(
      client.call('containers', 'start', { id: 'x', extra: true }),
    ).rejects.toMatchObject({ code: 'invalid_argument', message: 'extra: unknown field' });
    await expect(client.call('images', 'pull', { ref: 'has space' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  it('refuses unknown services and methods, including inherited properties', async () => {
    await expect(client.call('containers', 'exec', {})).rejects.toMatchObject({
      code: 'unknown_method',
    });
    await expect(client.call('containers', 'constructor', {})).rejects.toMatchObject({
      code: 'unknown_method',
    });
    await expect(client.call('__proto__', 'toString', {})).rejects.toMatchObject({
      code: 'unknown_method',
    });
  });
});
