// Log rotation (`--log-opt max-size/max-file`): the option checks at create, the size cap on
// disk, and `docker logs` reading across the rotated files with tail, since and follow.
import { readdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { engineRequest, type EngineReply } from './helpers/engine-request';

let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let docker: Docker;
let image: string;
const created: string[] = [];

const LINES = 300;
// Bursts of ten lines between short sleeps, ~10 kB/s with a 2 kB cap: a rotation every few
// hundred milliseconds. The first second leaves time for a follower to join.
const chatty = [
  'sh',
  '-c',
  `sleep 1; i=0; while [ $i -lt ${LINES} ]; do echo "line-$i"; i=$((i+1)); [ $((i % 10)) = 0 ] && sleep 0.03; done; true`,
];

function createStatus(logConfig: Record<string, string>): Promise<EngineReply> {
  return engineRequest(berthd.socket, 'POST', '/v1.43/containers/create', {
    Image: image,
    Cmd: ['true'],
    HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: logConfig } },
  });
}

async function runChatty(maxSize: string, maxFile: string): Promise<string> {
  const id =
    (await cli.ok([
      'run', '-d', '--network', 'none',
      '--log-opt', `max-size=${maxSize}`, '--log-opt', `max-file=${maxFile}`,
      image, ...chatty,
    ])) // prettier-ignore
      .trim();
  created.push(id);
  return id;
}

async function waitExited(id: string): Promise<void> {
  await docker.getContainer(id).wait();
}

/** The log files of a container on disk (live, rotated, and berthd's pending link). */
async function logFiles(id: string): Promise<{ name: string; size: number; ino: number }[]> {
  const logPath = (await docker.getContainer(id).inspect()).LogPath;
  const dir = dirname(logPath);
  return readdirSync(dir)
    .filter((name) => name.startsWith('container.log'))
    .map((name) => {
      const info = statSync(`${dir}/${name}`);
      return { name, size: info.size, ino: info.ino };
    });
}

function numbers(output: string): number[] {
  return output
    .split('\n')
    .filter(Boolean)
    .map((text) => Number(/^line-(\d+)$/.exec(text)?.[1] ?? NaN));
}

function expectContiguous(values: number[]): void {
  const gaps = values
    .map((value, index) => [values[index - 1], value] as const)
    .filter(([previous, value], index) => index > 0 && value !== previous! + 1);
  expect(gaps, `gaps in ${values.length} lines from ${values[0]}`).toEqual([]);
}

beforeAll(async () => {
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  berthd = await startBerthd();
  cli = new DockerCli(berthd.socket);
  docker = new Docker({ socketPath: berthd.socket });
  image = `${registry.host}/berth-test/busybox:latest`;
  await cli.ok(['pull', '-q', image]);
});

afterAll(async () => {
  if (created.length) await cli?.run(['rm', '-f', ...created]);
  cli?.dispose();
  await berthd?.stop();
  await registry?.stop();
});

describe('log options at create', () => {
  it('refuses bad values with 400 naming the option', async () => {
    const badSize = await createStatus({ 'max-size': 'abc' });
    expect(badSize.status).toBe(400);
    expect(badSize.body).toContain("'max-size'");
    const badCount = await createStatus({ 'max-size': '1m', 'max-file': '0' });
    expect(badCount.status).toBe(400);
    expect(badCount.body).toContain("'max-file'");
    const unknown = await createStatus({ 'max-bytes': '1m' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain("unknown log opt 'max-bytes'");
    const cliResult = await cli.run([
      'create', '--log-opt', 'max-size=-5', image, 'true',
    ]); // prettier-ignore
    expect(cliResult.code).not.toBe(0);
    expect(cliResult.stderr).toContain('max-size');
  });

  it('accepts json-file options, as dockerd does', async () => {
    const ok = await createStatus({ 'max-size': '10KiB', 'max-file': '2', compress: 'false' });
    expect(ok.status).toBe(201);
    created.push((JSON.parse(ok.body) as { Id: string }).Id);
  });
});

describe('rotation', () => {
  it('caps every file at max-size, keeps max-file files, and reads them oldest first', async () => {
    const id = await runChatty('2k', '3');
    await waitExited(id);
    const files = await logFiles(id);
    const kept = files.filter((file) => file.name !== 'container.log.rotating');
    expect(kept.map((file) => file.name).sort()).toEqual([
      'container.log',
      'container.log.1',
      'container.log.2',
    ]);
    for (const file of files) expect(file.size).toBeLessThanOrEqual(2000);
    // The pending name is a second link to the live file, not another copy.
    const live = files.find((file) => file.name === 'container.log')!;
    const pending = files.find((file) => file.name === 'container.log.rotating');
    if (pending) expect(pending.ino).toBe(live.ino);

    const all = numbers((await cli.ok(['logs', id])).toString());
    expect(all.at(-1)).toBe(LINES - 1);
    expect(all[0]).toBeGreaterThan(0);
    expectContiguous(all);

    const tail = numbers((await cli.ok(['logs', '--tail', '80', id])).toString());
    expect(tail).toEqual(all.slice(-80));

    // since: from a record in the oldest kept file on.
    const stamped = (await cli.ok(['logs', '--timestamps', id])).toString().split('\n');
    const pick = stamped[20]!.split(' ')[0]!;
    const since = numbers((await cli.ok(['logs', '--since', pick, id])).toString());
    // conmon stamps every line of one read alike: the first line with that stamp comes first.
    const first = stamped.findIndex((text) => text.startsWith(`${pick} `));
    expect(since[0]).toBe(all[first]);
    expect(since.at(-1)).toBe(LINES - 1);
  });

  it('follows across rotations without losing or repeating a line', async () => {
    const id = await runChatty('2k', '2');
    const followed = await cli.run(['logs', '-f', id], { timeoutMs: 60_000 });
    const values = numbers(followed.stdout);
    expect(values).toEqual(Array.from({ length: LINES }, (_, index) => index));
  });

  it('with max-file=1 empties the one file when it is full', async () => {
    const id = await runChatty('2k', '1');
    await waitExited(id);
    const files = await logFiles(id);
    expect(files.map((file) => file.name)).toEqual(['container.log']);
    expect(files[0]!.size).toBeLessThanOrEqual(2000);
    const values = numbers((await cli.ok(['logs', id])).toString());
    expect(values.at(-1)).toBe(LINES - 1);
    expectContiguous(values);
  });

  it('keeps rotating after a berthd crash and restart', async () => {
    const id =
      (await cli.ok([
        'run', '-d', '--network', 'none', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=3',
        image, 'sh', '-c',
        'i=0; while true; do echo "line-$i"; i=$((i+1)); [ $((i % 10)) = 0 ] && sleep 0.03; done',
      ])) // prettier-ignore
        .trim();
    created.push(id);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await berthd.kill9();
    await berthd.restart();
    // Once every kept file was written after the restart, nothing may be missing between them.
    const restartedAt = numbers((await cli.ok(['logs', '--tail', '1', id])).toString())[0]!;
    const deadline = Date.now() + 60_000;
    let values: number[] = [];
    while (Date.now() < deadline) {
      values = numbers((await cli.ok(['logs', id])).toString());
      if (values[0]! > restartedAt) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await cli.ok(['kill', id]);
    expect(values[0]).toBeGreaterThan(restartedAt);
    expectContiguous(values);
    const files = await logFiles(id);
    for (const file of files) expect(file.size).toBeLessThanOrEqual(2000);
    expect(files.map((file) => file.name)).toEqual(
      expect.arrayContaining(['container.log', 'container.log.1', 'container.log.2']),
    );
  });
});
