// Resizing an exec's terminal the way terminal UIs do: right after (or while) the start's 101
// arrives, before the process exists. As with dockerd, the resize waits for the launch instead
// of failing, so the first size is not lost; a resize after the exit is refused.
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';

let registry: TestRegistry;
let berthd: RunningBerthd;
let docker: Docker;
let container: Docker.Container;

async function pull(ref: string): Promise<void> {
  const stream = await docker.pull(ref);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve())),
  );
}

/** Everything the exec printed until it ended. */
function outputOf(stream: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

async function ttyExec(command: string, consoleSize?: [number, number]): Promise<Docker.Exec> {
  return container.exec({
    Cmd: ['sh', '-c', command],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    ...(consoleSize ? { ConsoleSize: consoleSize } : {}),
  } as Docker.ExecCreateOptions);
}

beforeAll(async () => {
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  berthd = await startBerthd({ insecureRegistries: [registry.host] });
  docker = new Docker({ socketPath: berthd.socket });
  const image = `${registry.host}/berth-test/busybox:latest`;
  await pull(image);
  container = await docker.createContainer({
    Image: image,
    Cmd: ['sleep', '300'],
    HostConfig: { NetworkMode: 'none' },
  });
  await container.start();
});

afterAll(async () => {
  await container?.remove({ force: true });
  await berthd?.stop();
  await registry?.stop();
});

describe('exec resize', () => {
  it('applies a resize sent right after the start returned', async () => {
    const exec = await ttyExec('sleep 0.5; stty size', [30, 100]);
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
    const output = outputOf(stream);
    await exec.resize({ h: 33, w: 44 });
    expect((await output).trim()).toBe('33 44');
  });

  it('applies a resize sent while the start is still in flight', async () => {
    const exec = await ttyExec('sleep 0.5; stty size');
    const starting = exec.start({ hijack: true, stdin: true, Tty: true });
    const resized = exec.resize({ h: 21, w: 61 });
    const stream = (await starting) as Duplex;
    const output = outputOf(stream);
    await resized;
    expect((await output).trim()).toBe('21 61');
  });

  it('keeps the ConsoleSize of the create when nothing resizes', async () => {
    const exec = await ttyExec('stty size', [25, 90]);
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
    expect((await outputOf(stream)).trim()).toBe('25 90');
  });

  it('refuses to resize an exec that has exited', async () => {
    const exec = await ttyExec('true');
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
    await outputOf(stream);
    await expect.poll(async () => (await exec.inspect()).Running, { timeout: 5_000 }).toBe(false);
    await expect(exec.resize({ h: 10, w: 10 })).rejects.toMatchObject({ statusCode: 409 });
  });
});
