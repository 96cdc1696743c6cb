// berthd's process and HTTP surface: socket ownership and exclusivity, TCP without TLS refused,
// version negotiation, ping headers, big headers, errors, events with since/until and filters,
// abort on hang-up, and SIGTERM draining an in-flight request.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxApiVersion } from '../../runtime-vm/daemon/api/version';
import { instanceNetworkNames } from '../../runtime-vm/daemon/services/networks/network-service';
import { busyboxImage, type BuiltImage } from '../fixtures/images';
import { berthdBundle, startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { serveImage, startFakeRegistry, type FakeRegistry } from './helpers/registries';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function call(
  socket: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs berthd with raw flags and returns its exit code and stderr (for refused start-ups). */
function runBerthd(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [berthdBundle, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    // 'close', not 'exit': only then has all of stderr been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

let berthd: RunningBerthd;
let scratch: string;
let fake: FakeRegistry;
let image: BuiltImage;

beforeAll(async () => {
  berthd = await startBerthd();
  scratch = mkdtempSync('/tmp/bds-');
  fake = await startFakeRegistry();
  image = busyboxImage();
  serveImage(fake, 'server/busybox', 'latest', image);
});

afterAll(async () => {
  await berthd?.stop();
  await fake?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('berthd process', () => {
  it('creates its socket with mode 0660 owned by the berth group', () => {
    const info = statSync(berthd.socket);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o660);
    // getent's output, read whole: waiting for 'exit' could miss stdout still in flight.
    const group = execFileSync('getent', ['group', 'berth'], { encoding: 'utf8' });
    expect(Number(group.split(':')[2])).toBe(info.gid);
  });

  it('refuses to start when another daemon answers on the socket', async () => {
    const result = await runBerthd([
      '-H',
      `unix://${berthd.socket}`,
      '--data-root',
      join(scratch, 'd1'),
      '--exec-root',
      join(scratch, 'e1'),
      '--pidfile',
      join(scratch, 'p1'),
      '--config-file',
      join(berthd.root, 'daemon.json'),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`another daemon is already listening on ${berthd.socket}`);
    // It gave up before creating anything: no bridge of its own is left behind.
    const { defaultBridgeName } = instanceNetworkNames(join(scratch, 'd1'));
    expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).not.toContain(defaultBridgeName);
    expect((await call(berthd.socket, 'GET', '/_ping')).status).toBe(200);
  });

  it('replaces a stale socket file left by a crash', async () => {
    const second = await startBerthd();
    try {
      await second.kill9();
      expect(statSync(second.socket).isSocket()).toBe(true);
      await second.restart();
      expect((await call(second.socket, 'GET', '/_ping')).body).toBe('OK');
    } finally {
      await second.stop();
    }
  });

  it('refuses tcp:// without TLS client verification, and bad flags or config', async () => {
    const config = join(scratch, 'empty.json');
    writeFileSync(config, '{}');
    const tcp = await runBerthd(['-H', 'tcp://127.0.0.1:2375', '--config-file', config]);
    expect(tcp.code).toBe(2);
    expect(tcp.stderr).toContain('without TLS client verification');
    const flag = await runBerthd(['--no-such-flag']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('unknown flag: --no-such-flag');
    const badConfig = join(scratch, 'bad.json');
    writeFileSync(badConfig, JSON.stringify({ 'log-level': 'loud' }));
    const level = await runBerthd(['--config-file', badConfig]);
    expect(level.stderr).toContain("invalid log level 'loud'");
  });
});

describe('Engine API surface', () => {
  it('answers /_ping GET and HEAD with the negotiation headers', async () => {
    for (const method of ['GET', 'HEAD']) {
      const reply = await call(berthd.socket, method, '/_ping');
      expect(reply.status).toBe(200);
      expect(reply.headers['api-version']).toBe(maxApiVersion);
      expect(reply.headers['ostype']).toBe('linux');
      expect(reply.headers['builder-version']).toBe('1');
      expect(reply.body).toBe(method === 'GET' ? 'OK' : '');
    }
  });

  it('serves routes unversioned and versioned, refusing versions out of range', async () => {
    expect((await call(berthd.socket, 'GET', '/version')).status).toBe(200);
    const v = JSON.parse((await call(berthd.socket, 'GET', '/v1.41/version')).body);
    expect(v.ApiVersion).toBe(maxApiVersion);
    expect(v.MinAPIVersion).toBe('1.24');
    const tooNew = await call(berthd.socket, 'GET', '/v1.99/version');
    expect(tooNew.status).toBe(400);
    expect(JSON.parse(tooNew.body).message).toBe(
      `client version 1.99 is too new. Maximum supported API version is ${maxApiVersion}`,
    );
    const tooOld = await call(berthd.socket, 'GET', '/v1.12/version');
    expect(tooOld.status).toBe(400);
    expect(JSON.parse(tooOld.body).message).toContain('client version 1.12 is too old');
    const missing = await call(berthd.socket, 'GET', '/v1.43/nothing/here');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/json');
    expect(JSON.parse(missing.body)).toEqual({ message: 'page not found' });
  });

  it('accepts the huge query strings dockerode sends', async () => {
    const big = 'x'.repeat(300 * 1024);
    const reply = await call(berthd.socket, 'GET', `/images/json?unused=${big}`, { 'X-Big': big });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual([]);
  });

  it('parses moby booleans and both filter forms', async () => {
    const map = await call(
      berthd.socket,
      'GET',
      `/images/json?all=False&filters=${encodeURIComponent('{"dangling":{"true":true}}')}`,
    );
    expect(map.status).toBe(200);
    const array = await call(
      berthd.socket,
      'GET',
      `/images/json?filters=${encodeURIComponent('{"label":["a=b"]}')}`,
    );
    expect(array.status).toBe(200);
    const bad = await call(
      berthd.socket,
      'GET',
      `/images/json?filters=${encodeURIComponent('{"dangling":["maybe"]}')}`,
    );
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toContain('dangling=maybe');
  });

  it('reports real figures in /info and /system/df', async () => {
    const docker = new Docker({ socketPath: berthd.socket });
    const info = await docker.info();
    expect(info.NCPU).toBeGreaterThan(0);
    expect(info.MemTotal).toBeGreaterThan(0);
    expect(info.DockerRootDir).toBe(berthd.dataRoot);
    expect(info.OSType).toBe('linux');
    const cli = new DockerCli(berthd.socket);
    try {
      expect(await cli.ok(['version', '--format', '{{.Server.APIVersion}}'])).toBe(
        `${maxApiVersion}\n`,
      );
    } finally {
      cli.dispose();
    }
  });

  it('streams events with filters, replays since/until, and frees listeners on hang-up', async () => {
    const docker = new Docker({ socketPath: berthd.socket });
    const start = Math.floor(Date.now() / 1000) - 1;
    const stream = (await docker.getEvents({
      filters: { type: ['image'] },
    })) as NodeJS.ReadableStream & { destroy(): void };
    const seen: Array<{ Type: string; Action: string; status?: string; id?: string }> = [];
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) seen.push(JSON.parse(line));
    });
    const cli = new DockerCli(berthd.socket);
    try {
      await cli.ok(['pull', `${fake.host}/server/busybox:latest`]);
      await cli.ok(['tag', `${fake.host}/server/busybox:latest`, 'events/tagged:1']);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen.map((e) => e.Action)).toEqual(['pull', 'tag']);
      expect(seen[0]?.status).toBe('pull');
      expect(seen[0]?.id).toBe(`${fake.host}/server/busybox:latest`);
      const until = Math.floor(Date.now() / 1000) + 1;
      const replay = await cli.ok([
        'events',
        '--since',
        String(start),
        '--until',
        String(until),
        '--filter',
        'event=tag',
        '--format',
        '{{.Action}} {{.Actor.Attributes.name}}',
      ]);
      expect(replay.trim()).toBe('tag events/tagged:1');
      const before = (await docker.info()).NEventsListener;
      stream.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await docker.info()).NEventsListener).toBe(before - 1);
    } finally {
      cli.dispose();
    }
  });

  it('drains an in-flight pull on SIGTERM, then exits', async () => {
    const target = await startBerthd();
    const slowLayer = image.layers[0] as BuiltImage['layers'][number];
    fake.behaviour = (req, res) => {
      if (!req.url?.endsWith(slowLayer.digest) || req.method !== 'GET') return false;
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': slowLayer.data.length,
      });
      res.write(slowLayer.data.subarray(0, 1000));
      setTimeout(() => res.end(slowLayer.data.subarray(1000)), 1500);
      return true;
    };
    const cli = new DockerCli(target.socket);
    try {
      const pulling = cli.run(['pull', `${fake.host}/server/busybox:latest`]);
      await new Promise((resolve) => setTimeout(resolve, 700));
      const pid = target.pid;
      process.kill(pid, 'SIGTERM');
      const result = await pulling;
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Downloaded newer image');
      const alive = () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 100 && alive(); i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(alive()).toBe(false);
      expect(target.logs()).toContain('"msg":"stopped"');
    } finally {
      fake.behaviour = undefined;
      cli.dispose();
      await target.stop();
    }
  });
});
