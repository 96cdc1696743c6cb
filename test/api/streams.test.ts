// berthd's streams through the real docker CLI (a pty where the CLI needs a terminal) and
// dockerode: run with and without -i/-t, exec with exit codes, attach, logs, stats, and a leak
// check of 200 clients that vanish mid-stream.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';

let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let docker: Docker;
let image: string;

/** Runs the docker CLI inside a pseudo-terminal of the given size, as a user's shell would. */
function inTerminal(
  command: string,
  rows: number,
  cols: number,
  options: { stdinAtEof?: boolean } = {},
): Promise<{ output: string; code: number }> {
  const shell = `stty rows ${rows} cols ${cols}; docker -H unix://${berthd.socket} ${command}`;
  return new Promise((resolve) => {
    const child = execFile(
      'script',
      ['-qec', shell, '/dev/null'],
      { env: { ...process.env, DOCKER_CONFIG: cli.configDir }, timeout: 60_000 },
      (error, stdout) => resolve({ output: stdout, code: error ? Number(error.code ?? 1) : 0 }),
    );
    // script then types a NUL into the terminal as soon as it starts.
    if (options.stdinAtEof) child.stdin?.end();
  });
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Open descriptors by kind (socket, pipe, file...), to say what leaked when something did. */
function fdKinds(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '?';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/\d+/g, 'N');
    } catch {
      // closed while listing
    }
    kinds[target] = (kinds[target] ?? 0) + 1;
  }
  return kinds;
}

function status(method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: berthd.socket, method, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a hijacked attach, waits for the 101, then drops the connection. */
function attachAndVanish(id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(berthd.socket);
    socket.on('error', reject);
    socket.write(
      `POST /v1.43/containers/${id}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: berthd\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`,
    );
    socket.once('data', (chunk: Buffer) => {
      if (!chunk.toString().startsWith('HTTP/1.1 101'))
        reject(new Error(`no upgrade: ${chunk.toString()}`));
      socket.destroy();
      resolve();
    });
  });
}

/** Starts a followed logs request, waits for its headers, then drops the connection. */
function followAndVanish(id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: berthd.socket, path: `/containers/${id}/logs?follow=1&stdout=1` },
      (res) => {
        res.destroy();
        resolve();
      },
    );
    req.on('error', (error) =>
      (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(error),
    );
    req.end();
  });
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m);
  return Number(line?.[1] ?? NaN);
}

/** Reads a multiplexed stream to its end; the bytes of its frames' payloads. */
function payloadBytes(stream: Duplex): Promise<number> {
  return new Promise((resolve, reject) => {
    let pending = Buffer.alloc(0);
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        const available = Math.min(size, pending.length - 8);
        bytes += available;
        if (available < size) {
          // Keep the header with the rest of the frame still to come.
          pending.writeUInt32BE(size - available, 4);
          pending = Buffer.concat([pending.subarray(0, 8)]);
          break;
        }
        pending = pending.subarray(8 + size);
      }
    });
    stream.on('end', () => resolve(bytes));
    stream.on('error', reject);
    stream.resume();
  });
}

async function settledFdCount(pid: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 3000));
  return fdCount(pid);
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
  await cli?.run(['rm', '-f', 'streams-main', 'streams-logs', 'streams-stopped']);
  cli?.dispose();
  await berthd?.stop();
  await registry?.stop();
});

describe('docker run and exec', () => {
  it('prints the output of run without -d, and its exit code', async () => {
    const result = await cli.run([
      'run',
      '--rm',
      '--network',
      'none',
      image,
      'sh',
      '-c',
      'echo hello; echo oops >&2; exit 4',
    ]);
    expect(result.stdout).toBe('hello\n');
    expect(result.stderr).toContain('oops');
    expect(result.code).toBe(4);
  });

  it('feeds stdin to run -i and closes it at EOF', async () => {
    const result = await cli.run(['run', '-i', '--rm', '--network', 'none', image, 'sh'], {
      input: Buffer.from('echo from-stdin\nread -r rest; echo "rest=$rest"\n'),
    });
    expect(result.stdout).toBe('from-stdin\nrest=\n');
    expect(result.code).toBe(0);
  });

  it('gives run -it a terminal of the caller size', async () => {
    const result = await inTerminal(`run -it --rm --network none ${image} stty size`, 33, 101);
    expect(result.output).toContain('33 101');
  });

  it('reports exec exit codes and separates stdout from stderr', async () => {
    await cli.ok([
      'run',
      '-d',
      '--name',
      'streams-main',
      '--network',
      'none',
      image,
      'sleep',
      '600',
    ]);
    const result = await cli.run([
      'exec',
      'streams-main',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    ]);
    expect(result).toMatchObject({ stdout: 'out\n', code: 3 });
    expect(result.stderr).toContain('err');
  });

  it('runs exec -it in a terminal that follows the caller size', async () => {
    const result = await inTerminal('exec -it streams-main sh -c "stty size; exit 6"', 40, 120);
    expect(result.output).toContain('40 120');
    expect(result.code).toBe(6);
  });

  it('keeps the whole output of a short exec -it whose client types at once', async () => {
    // `script` with stdin at EOF sends a NUL as soon as the exec starts; the output of a command
    // that ends right away was lost in 2-6 runs of 16 before input got its own conmon socket.
    const outputs: string[] = [];
    for (let index = 0; index < 16; index++) {
      const run = await inTerminal(`exec -it streams-main echo typed-${index}`, 24, 80, {
        stdinAtEof: true,
      });
      outputs.push(run.output.replace(/\r/g, ''));
    }
    const expected = Array.from({ length: 16 }, (_, index) => `typed-${index}`);
    expect(expected.filter((word, index) => !outputs[index]?.includes(word))).toEqual([]);
  });

  it('runs many execs into one container at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        cli.run(['exec', 'streams-main', 'sh', '-c', `echo exec-${index}; exit ${index}`]),
      ),
    );
    results.forEach((result, index) =>
      expect(result).toMatchObject({ stdout: `exec-${index}\n`, code: index }),
    );
  });

  it('reports a missing command as 127 and an unknown user as 126, with the message', async () => {
    const result = await cli.run(['exec', 'streams-main', '/no/such/binary']);
    expect(result.code).toBe(127);
    expect(result.stdout + result.stderr).toMatch(/no such file|not found/i);
    // An unknown user cannot start the process either: 126, as dockerd (it printed, exit 0).
    const user = await cli.run(['exec', '-u', 'nosuch', 'streams-main', 'true']);
    expect(user.code).toBe(126);
    expect(user.stdout + user.stderr).toContain('unable to find user nosuch');
  });

  it('refuses exec into a stopped container with 409, and streams on unknown ids with 404', async () => {
    await cli.ok(['create', '--name', 'streams-stopped', '--network', 'none', image, 'true']);
    const result = await cli.run(['exec', 'streams-stopped', 'true']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('is not running');
    expect(await status('GET', '/containers/nope/logs?stdout=1')).toBe(404);
    expect(await status('GET', '/containers/nope/stats?stream=0')).toBe(404);
    expect(await status('POST', '/containers/nope/attach?stream=1&stdout=1')).toBe(404);
    expect(await status('GET', '/containers/streams-main/logs')).toBe(400);
  });

  it('runs exec through dockerode with a demultiplexed stream', async () => {
    const container = docker.getContainer('streams-main');
    const exec = await container.exec({
      Cmd: ['sh', '-c', 'echo dockerode; exit 2'],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    let out = '';
    const stdout = new (await import('node:stream')).PassThrough();
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    docker.modem.demuxStream(stream, stdout, stdout);
    await new Promise((resolve) => stream.on('end', resolve));
    expect(out).toBe('dockerode\n');
    expect((await exec.inspect()).ExitCode).toBe(2);
  });
});

describe('attach', () => {
  it('joins a running container and sees its output until it exits', async () => {
    const id = (
      await cli.ok([
        'run',
        '-d',
        '--network',
        'none',
        image,
        'sh',
        '-c',
        'sleep 1; echo attached-output; exit 9',
      ])
    ).trim();
    const result = await cli.run(['attach', id]);
    expect(result.stdout).toContain('attached-output');
    expect(result.code).toBe(9);
    await cli.run(['rm', '-f', id]);
  });
});

describe('logs', () => {
  beforeAll(async () => {
    await cli.ok([
      'run', '-d', '--name', 'streams-logs', '--network', 'none', image,
      'sh', '-c', 'for i in 1 2 3 4 5; do echo line-$i; echo err-$i >&2; done; sleep 2; echo late',
    ]); // prettier-ignore
  });

  it('tails, splits streams, and prints Docker timestamps', async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const tail = await cli.run(['logs', '--tail', '2', 'streams-logs']);
    expect(tail.stdout + tail.stderr).toMatch(/line-5|err-5/);
    const stdoutOnly = await cli.run(['logs', 'streams-logs']);
    expect(stdoutOnly.stdout.split('\n').filter(Boolean).slice(0, 5)).toEqual([
      'line-1',
      'line-2',
      'line-3',
      'line-4',
      'line-5',
    ]);
    expect(stdoutOnly.stderr).toContain('err-3');
    const stamped = await cli.run(['logs', '--timestamps', 'streams-logs']);
    expect(stamped.stdout.split('\n')[0]).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z line-1$/,
    );
  });

  it('follows until the container stops', async () => {
    const result = await cli.run(['logs', '-f', 'streams-logs'], { timeoutMs: 30_000 });
    expect(result.stdout.trim().split('\n').at(-1)).toBe('late');
    expect(result.code).toBe(0);
  });

  it('returns every byte of a large log, its streams apart, and a TTY log raw', async () => {
    // 20 000 lines on each stream, then one 20 kB line that conmon splits into partial records.
    const script =
      'i=0; while [ $i -lt 20000 ]; do echo out-$i; echo err-$i >&2; i=$((i+1)); done;' +
      ' head -c 20000 /dev/zero | tr "\\0" y; echo';
    await cli.ok([
      'run',
      '--name',
      'streams-big-log',
      '--network',
      'none',
      image,
      'sh',
      '-c',
      script,
    ]);
    await cli.ok([
      'run',
      '-t',
      '--name',
      'streams-tty-log',
      '--network',
      'none',
      image,
      'sh',
      '-c',
      'echo one; echo two >&2',
    ]);
    try {
      const numbered = (name: string) =>
        Array.from({ length: 20_000 }, (_, index) => `${name}-${index}\n`).join('');
      const big = await cli.run(['logs', 'streams-big-log']);
      expect(big.stdout === numbered('out') + 'y'.repeat(20_000) + '\n').toBe(true);
      expect(big.stderr === numbered('err')).toBe(true);
      const tty = await cli.run(['logs', 'streams-tty-log']);
      expect(tty.stdout).toBe('one\r\ntwo\r\n');
      expect(tty.stderr).toBe('');
    } finally {
      await cli.run(['rm', '-f', 'streams-big-log', 'streams-tty-log']);
    }
  });

  it('applies since and until', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    const none = await cli.run(['logs', '--since', String(future), 'streams-logs']);
    expect(none.stdout).toBe('');
    const all = await cli.run(['logs', '--until', String(future), 'streams-logs']);
    expect(all.stdout).toContain('line-1');
  });
});

describe('stats', () => {
  it('answers stream=false with precpu filled, and docker stats --no-stream prints a row', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        { socketPath: berthd.socket, path: '/containers/streams-main/stats?stream=false' },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const stats = JSON.parse(body);
    expect(stats.preread).not.toBe('0001-01-01T00:00:00Z');
    expect(stats.precpu_stats.system_cpu_usage).toBeGreaterThan(0);
    expect(stats.memory_stats.usage).toBeGreaterThan(0);
    expect(Object.keys(stats.memory_stats.stats).length).toBeGreaterThan(0);
    expect(stats.pids_stats.current).toBeGreaterThanOrEqual(1);
    const row = await cli.ok([
      'stats',
      '--no-stream',
      '--format',
      '{{.Name}} {{.CPUPerc}} {{.MemUsage}}',
      'streams-main',
    ]);
    expect(row).toMatch(/^streams-main \d+\.\d+% [\d.]+\w?i?B \/ /);
  });
});

describe('resources', () => {
  // A client's FIN may be a half-close (the CLI sends one as soon as its stdin ends) or a full
  // close; only the next write tells them apart. So the attach cycles run against a container
  // that prints, as a real one being watched does, and the check waits for its next lines.
  it('frees everything when 200 clients vanish mid-stream', async () => {
    await cli.ok([
      'run', '-d', '--name', 'streams-chatty', '--network', 'none', image,
      'sh', '-c', 'while true; do echo tick; sleep 0.2; done',
    ]); // prettier-ignore
    try {
      const before = await settledFdCount(berthd.pid);
      const kindsBefore = fdKinds(berthd.pid);
      for (let cycle = 0; cycle < 100; cycle++) await attachAndVanish('streams-chatty');
      const afterAttach = await settledFdCount(berthd.pid);
      for (let cycle = 0; cycle < 100; cycle++) await followAndVanish('streams-chatty');
      const afterFollow = await settledFdCount(berthd.pid);
      const leaks = `before ${JSON.stringify(kindsBefore)}, after ${JSON.stringify(fdKinds(berthd.pid))}`;
      expect(afterAttach - before, leaks).toBeLessThanOrEqual(3);
      expect(afterFollow - afterAttach, leaks).toBeLessThanOrEqual(3);
    } finally {
      await cli.run(['rm', '-f', 'streams-chatty']);
    }
  });

  it('holds back an exec whose client does not read, instead of buffering its output', async () => {
    const total = 64 * 1024 * 1024;
    const exec = await docker.getContainer('streams-main').exec({
      Cmd: ['head', '-c', String(total), '/dev/zero'],
      AttachStdout: true,
      AttachStderr: true,
    });
    const rssBefore = rssKiB(berthd.pid);
    const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
    stream.pause();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Without flow control the 64 MiB would sit in berthd by now.
    expect((rssKiB(berthd.pid) - rssBefore) / 1024).toBeLessThan(24);
    expect((await exec.inspect()).Running).toBe(true);
    expect(await payloadBytes(stream)).toBe(total);
    expect((await exec.inspect()).ExitCode).toBe(0);
  });

  it('keeps no socket of an exec that ended (each used to leave its attach socket open)', async () => {
    const before = await settledFdCount(berthd.pid);
    const kindsBefore = fdKinds(berthd.pid);
    for (let round = 0; round < 10; round++) {
      await cli.ok(['exec', 'streams-main', 'true']);
      await cli.ok(['exec', '-i', 'streams-main', 'cat'], { input: Buffer.from('typed\n') });
    }
    const after = await settledFdCount(berthd.pid);
    const leaks = `before ${JSON.stringify(kindsBefore)}, after ${JSON.stringify(fdKinds(berthd.pid))}`;
    expect(after - before, leaks).toBeLessThanOrEqual(3);
  });
});
