// Attach the way dockerd 20.10 does it (each rule below was checked against it): the websocket
// attach endpoint, and StdinOnce — who closes a container's stdin when an attached client ends
// its input, detaches or vanishes, with and without a TTY.
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import Docker from 'dockerode';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';

let registry: TestRegistry;
let berthd: RunningBerthd;
let docker: Docker;
let image: string;
const created: string[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function state(id: string): Promise<string> {
  return (await docker.getContainer(id).inspect()).State.Status;
}

async function runInteractive(
  cmd: string[],
  options: { tty?: boolean; stdinOnce?: boolean } = {},
): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    OpenStdin: true,
    StdinOnce: options.stdinOnce ?? false,
    Tty: options.tty ?? false,
    HostConfig: { NetworkMode: 'none' },
  });
  created.push(container.id);
  return container.id;
}

/** A raw hijacked attach: what the docker CLI does. Collects everything after the 101. */
class RawAttach {
  readonly socket: Socket;
  private received = Buffer.alloc(0);
  private upgraded = false;
  ended = false;

  constructor(id: string, query: string) {
    this.socket = connect(berthd.socket);
    this.socket.write(
      `POST /v1.43/containers/${id}/attach?${query} HTTP/1.1\r\nHost: berthd\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`,
    );
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      if (!this.upgraded) {
        const end = this.received.indexOf('\r\n\r\n');
        if (end >= 0) {
          this.upgraded = this.received.subarray(0, 12).toString() === 'HTTP/1.1 101';
          this.received = this.received.subarray(end + 4);
        }
      }
    });
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('close', () => (this.ended = true));
    this.socket.on('error', () => (this.ended = true));
  }

  ready(): Promise<true> {
    return waitFor(async () => (this.upgraded ? true : undefined), 'the 101');
  }

  /** Output with the 8-byte frame headers stripped (non-TTY streams). */
  text(framed: boolean): string {
    if (!framed) return this.received.toString('latin1');
    let out = '';
    let offset = 0;
    while (offset + 8 <= this.received.length) {
      const length = this.received.readUInt32BE(offset + 4);
      out += this.received.toString('latin1', offset + 8, offset + 8 + length);
      offset += 8 + length;
    }
    return out;
  }

  waitText(framed: boolean, expected: string): Promise<string> {
    return waitFor(
      async () => (this.text(framed).includes(expected) ? this.text(framed) : undefined),
      `"${expected}" in ${JSON.stringify(this.text(framed))}`,
    );
  }

  waitEnded(): Promise<true> {
    return waitFor(async () => (this.ended ? true : undefined), 'the stream to end');
  }
}

interface WsClient {
  ws: WebSocket;
  messages: { data: string; binary: boolean }[];
  closed: Promise<number>;
}

function openWebSocket(path: string): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws+unix://${berthd.socket}:${path}`);
    const messages: WsClient['messages'] = [];
    ws.on('message', (data: Buffer, binary: boolean) =>
      messages.push({ data: data.toString(), binary }),
    );
    const closed = new Promise<number>((done) => ws.on('close', (code) => done(code)));
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    ws.once('error', reject);
  });
}

function joined(client: WsClient): string {
  return client.messages.map((message) => message.data).join('');
}

beforeAll(async () => {
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  berthd = await startBerthd();
  docker = new Docker({ socketPath: berthd.socket });
  image = `${registry.host}/berth-test/busybox:latest`;
  const stream = await docker.pull(image);
  await new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve(null))),
  );
});

afterAll(async () => {
  for (const id of created)
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => {});
  await berthd?.stop();
  await registry?.stop();
});

describe('GET /containers/{id}/attach/ws', () => {
  const echoLoop = [
    'sh',
    '-c',
    'echo started; while read l; do echo "got:$l"; echo "err:$l" >&2; done; echo eof',
  ];

  it('replays logs, then carries stdin and unframed stdout/stderr as binary messages', async () => {
    const id = await runInteractive(echoLoop);
    await docker.getContainer(id).start();
    await waitFor(
      async () => (berthd.containerOutput(id).includes('started') ? 1 : undefined),
      'start',
    );
    const client = await openWebSocket(
      `/v1.43/containers/${id}/attach/ws?logs=1&stream=1&stdin=1&stdout=1&stderr=1`,
    );
    await waitFor(async () => (joined(client).includes('started\n') ? 1 : undefined), 'logs');
    client.ws.send('hello\n');
    client.ws.send(Buffer.from('bin\n'));
    await waitFor(
      async () =>
        /got:bin\n/.test(joined(client)) && /err:bin\n/.test(joined(client)) ? 1 : undefined,
      `echoes in ${JSON.stringify(joined(client))}`,
    );
    expect(joined(client)).toContain('got:hello\n');
    expect(joined(client)).not.toContain('\u0001\u0000\u0000\u0000');
    expect(client.messages.every((message) => message.binary)).toBe(true);
    client.ws.close();
    await client.closed;
    // Not StdinOnce: the container keeps its stdin and keeps running.
    await sleep(300);
    expect(await state(id)).toBe('running');

    // Before API 1.28 dockerd sent text messages.
    const old = await openWebSocket(`/v1.27/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1`);
    old.ws.send('old\n');
    await waitFor(async () => (joined(old).includes('got:old') ? 1 : undefined), 'old echo');
    expect(old.messages.every((message) => !message.binary)).toBe(true);
    expect(joined(old)).not.toContain('err:old');
    old.ws.close();
    await old.closed;
  });

  it('closes after the logs when stream is not set', async () => {
    const id = await runInteractive(['sh', '-c', 'echo only-logs; sleep 600']);
    await docker.getContainer(id).start();
    await waitFor(
      async () => (berthd.containerOutput(id).includes('only-logs') ? 1 : undefined),
      'output',
    );
    const client = await openWebSocket(`/containers/${id}/attach/ws?logs=1&stdout=1`);
    expect(await client.closed).toBe(1000);
    expect(joined(client)).toBe('only-logs\n');
  });

  it('detaches a TTY client on the detach keys, leaving the container running', async () => {
    const id = await runInteractive(['cat'], { tty: true, stdinOnce: true });
    await docker.getContainer(id).start();
    const client = await openWebSocket(
      `/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1&detachKeys=ctrl-x`,
    );
    client.ws.send('abc\n');
    await waitFor(async () => (joined(client).includes('abc\r\n') ? 1 : undefined), 'tty echo');
    client.ws.send(Buffer.from([0x18]));
    expect(await client.closed).toBe(1000);
    await sleep(300);
    expect(await state(id)).toBe('running');
  });

  it('answers 404 for unknown containers and 400 without a websocket handshake', async () => {
    await expect(openWebSocket('/containers/no-such/attach/ws?stream=1')).rejects.toThrow(
      'HTTP 404',
    );
    const status = await new Promise<number>((resolve, reject) => {
      const id = created[0]!;
      const req = request(
        { socketPath: berthd.socket, path: `/containers/${id}/attach/ws?stream=1` },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
  });
});

describe('StdinOnce', () => {
  it('without a TTY: the end of the stdin client closes stdin, output still flows', async () => {
    const id = await runInteractive(['sh', '-c', 'cat; echo after-eof'], { stdinOnce: true });
    const client = new RawAttach(id, 'stream=1&stdin=1&stdout=1&stderr=1');
    await client.ready();
    await docker.getContainer(id).start();
    client.socket.write('one\n');
    await client.waitText(true, 'one\n');
    client.socket.end();
    await client.waitText(true, 'after-eof\n');
    await client.waitEnded();
    await waitFor(async () => ((await state(id)) === 'exited' ? 1 : undefined), 'exit');
  });

  it('without a TTY: detach keys are ordinary input, and a vanished stdin client closes stdin', async () => {
    const id = await runInteractive(['cat'], { stdinOnce: true });
    await docker.getContainer(id).start();
    // A client without stdin coming and going must not close the container's stdin.
    const watcher = new RawAttach(id, 'stream=1&stdout=1');
    await watcher.ready();
    watcher.socket.destroy();
    const client = new RawAttach(id, 'stream=1&stdin=1&stdout=1');
    await client.ready();
    client.socket.write(Buffer.from('x\x10\x11y\n', 'latin1'));
    expect(await client.waitText(true, 'y\n')).toBe('x\x10\x11y\n');
    expect(await state(id)).toBe('running');
    client.socket.destroy();
    await waitFor(async () => ((await state(id)) === 'exited' ? 1 : undefined), 'exit');
  });

  it('with a TTY: detach, EOF and hang-up leave stdin open for the next client', async () => {
    const id = await runInteractive(['cat'], { tty: true, stdinOnce: true });
    await docker.getContainer(id).start();
    const first = new RawAttach(id, 'stream=1&stdin=1&stdout=1');
    await first.ready();
    first.socket.write('one\n');
    await first.waitText(false, 'one\r\n');
    first.socket.write(Buffer.from([0x10, 0x11]));
    await first.waitEnded();

    const second = new RawAttach(id, 'stream=1&stdin=1&stdout=1');
    await second.ready();
    second.socket.write('two\n');
    await second.waitText(false, 'two\r\n');
    second.socket.end();
    await second.waitEnded();

    const third = new RawAttach(id, 'stream=1&stdin=1&stdout=1');
    await third.ready();
    third.socket.write('three\n');
    await third.waitText(false, 'three\r\n');
    third.socket.destroy();
    await sleep(300);
    expect(await state(id)).toBe('running');
  });

  it('without StdinOnce: the stdin client ending ends its stream only', async () => {
    const id = await runInteractive(['cat']);
    await docker.getContainer(id).start();
    const client = new RawAttach(id, 'stream=1&stdin=1&stdout=1');
    await client.ready();
    client.socket.write('one\n');
    await client.waitText(true, 'one\n');
    client.socket.end();
    await client.waitEnded();
    await sleep(300);
    expect(await state(id)).toBe('running');
    const next = new RawAttach(id, 'stream=1&stdin=1&stdout=1');
    await next.ready();
    next.socket.write('two\n');
    await next.waitText(true, 'two\n');
    next.socket.destroy();
  });
});
