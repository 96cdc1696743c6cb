import { EventEmitter } from 'node:events';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createRpcClient } from '../../shared/rpc/client';
import type { ClientChannel, ServerMessage } from '../../shared/rpc/protocol';
import { createServices } from '../services/index';
import { fakeChannel, FakePort, FakeSender } from '../test-support/fake-electron';
import { fakeContainer, startFakeEngine, type FakeEngine } from '../test-support/fake-engine';
import { createDispatcher } from './dispatcher';
import { channels } from './electron-channels';
import { serveOverElectron } from './electron-transport';

const appUrl = 'file:///opt/berth/dist/renderer/index.html';

function clientChannel(port: FakePort): ClientChannel {
  return {
    send: (message) => port.postMessage(message),
    onMessage(listener) {
      const forward = (event: { data: ServerMessage }) => listener(event.data);
      port.on('message', forward);
      return () => port.off('message', forward);
    },
    onClose(listener) {
      const forward = () => listener('port closed');
      port.on('close', forward);
      return () => port.off('close', forward);
    },
  };
}

describe('Electron MessagePort transport', () => {
  let engine: FakeEngine;
  const stops: (() => void)[] = [];
  beforeAll(async () => {
    engine = await startFakeEngine();
    engine.containers = [fakeContainer('c1', 'api', 'running')];
  });
  afterAll(async () => {
    await engine.close();
  });
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  function serve() {
    const ipcMain = new EventEmitter();
    const { services } = createServices({
      configDir: undefined,
      cliEngine: engine.endpoint,
      env: {},
      dockerConfigDir: '/nonexistent',
    });
    const stop = serveOverElectron({
      ipcMain: ipcMain as never,
      createChannel: fakeChannel as never,
      dispatcher: createDispatcher(services),
      isTrustedSender: (url) => url === appUrl,
    });
    stops.push(stop);
    const request = (url: string) => {
      const sender = new FakeSender();
      ipcMain.emit(channels.requestPort, { senderFrame: { url }, sender });
      return sender;
    };
    return { ipcMain, request, stop };
  }

  it('hands the app page a port that serves the contract', async () => {
    const { request } = serve();
    const sender = request(appUrl);
    expect(sender.posted).toHaveLength(1);
    const [{ channel, ports }] = sender.posted as unknown as [
      { channel: string; ports: FakePort[] },
    ];
    expect(channel).toBe(channels.port);
    const client = createRpcClient(clientChannel(ports[0]!));
    const containers = await client.services.containers.list();
    expect(containers.map((container) => container.name)).toEqual(['api']);
    await expect(client.call('containers', 'start', { id: 7 })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    client.dispose();
  });

  it('ignores requests from any other page', () => {
    const { request } = serve();
    expect(request('https://evil.example/').posted).toEqual([]);
    expect(request('').posted).toEqual([]);
  });

  it('stops serving a window that goes away and removes its listener on dispose', async () => {
    const { request, ipcMain, stop } = serve();
    const sender = request(appUrl);
    const port = sender.posted[0]!.ports[0]!;
    sender.emit('destroyed');
    expect(port.closed).toBe(true);
    stop();
    expect(ipcMain.listenerCount(channels.requestPort)).toBe(0);
  });
});
