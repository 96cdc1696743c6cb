import { afterEach, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../shared/types';
import { createServices } from '../services/index';
import { startFakeEngine, type FakeEngine } from '../test-support/fake-engine';
import { watchEngineStatus } from './status-watcher';

let engine: FakeEngine | undefined;
let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  await engine?.close();
  engine = undefined;
});

describe('engine status watcher', () => {
  it('refreshes on container events (debounced), not on a timer', async () => {
    engine = await startFakeEngine();
    const { services } = createServices({
      configDir: undefined,
      cliEngine: engine.endpoint,
      env: {},
      dockerConfigDir: '/nonexistent',
    });
    const statuses: EngineStatus[] = [];
    stop = watchEngineStatus(services, (status) => statuses.push(status), { debounceMs: 20 });
    await expect.poll(() => engine!.openEventStreams()).toBe(1);
    // The initial status, then the one after the 'connected' event of the stream.
    await expect.poll(() => statuses.length).toBe(2);
    const versionsBefore = engine.requests.filter((request) => request === 'GET /version').length;
    for (let index = 0; index < 5; index++)
      engine.emitEvent({ Type: 'container', Action: 'start', Actor: { ID: `c${index}` } });
    await expect.poll(() => statuses.length).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(statuses.length).toBe(3);
    expect(engine.requests.filter((request) => request === 'GET /version').length).toBe(
      versionsBefore + 1,
    );
  });

  it('reports an unreachable engine and retries with backoff', async () => {
    const { services } = createServices({
      configDir: undefined,
      cliEngine: 'unix:///nonexistent/engine.sock',
      env: {},
      dockerConfigDir: '/nonexistent',
    });
    const statuses: EngineStatus[] = [];
    stop = watchEngineStatus(services, (status) => statuses.push(status), {
      debounceMs: 5,
      maxBackoffMs: 10,
    });
    await expect.poll(() => statuses.length).toBeGreaterThanOrEqual(3);
    expect(
      statuses.every(
        (status) => status.state === 'unreachable' && status.reason === 'socket_missing',
      ),
    ).toBe(true);
  });
});
