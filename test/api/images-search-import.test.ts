// `docker search` against a distribution-only registry (berthd searches its catalog, where dockerd
// fails with "Unexpected status code 404") and `docker import` from a URL the daemon downloads.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxBaseLayer, busyboxImage, layeredImage, layerTar } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';

let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let tarballServer: Server;
let tarballBase: string;
const rootfsTar = layerTar(busyboxBaseLayer());

beforeAll(async () => {
  registry = await startRegistryWithFixtures({
    'berth-test/busybox:latest': busyboxImage(),
    'berth-test/layered:v1': layeredImage(),
    'other/tool:1': busyboxImage(),
  });
  berthd = await startBerthd();
  cli = new DockerCli(berthd.socket);
  tarballServer = createServer((req, res) => {
    if (req.url === '/rootfs.tar') {
      res.writeHead(200, { 'Content-Length': rootfsTar.length });
      res.end(rootfsTar);
    } else if (req.url === '/moved.tar') {
      res.writeHead(302, { Location: '/rootfs.tar' });
      res.end();
    } else {
      res.writeHead(404);
      res.end('no such file');
    }
  });
  await new Promise<void>((resolve) => tarballServer.listen(0, '127.0.0.1', resolve));
  tarballBase = `http://127.0.0.1:${(tarballServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  cli?.dispose();
  await berthd?.stop();
  await registry?.stop();
  await new Promise((resolve) => tarballServer?.close(resolve));
});

function postToSocket(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'POST' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function searchNames(out: string): string[] {
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { Name: string }).Name)
    .sort();
}

describe('docker search against berthd', () => {
  it("finds repositories in a registry's catalog by substring", async () => {
    const out = await cli.ok(['search', `${registry.host}/berth-test`, '--format', '{{json .}}']);
    expect(searchNames(out)).toEqual([
      `${registry.host}/berth-test/busybox`,
      `${registry.host}/berth-test/layered`,
    ]);
    const tool = await cli.ok(['search', `${registry.host}/TOOL`, '--format', '{{json .}}']);
    expect(searchNames(tool)).toEqual([`${registry.host}/other/tool`]);
  });

  it('honours --limit and the stars filter', async () => {
    const limited = await cli.ok([
      'search',
      '--limit',
      '1',
      `${registry.host}/berth-test`,
      '--format',
      '{{json .}}',
    ]);
    expect(searchNames(limited)).toHaveLength(1);
    const starred = await cli.ok([
      'search',
      '--filter',
      'stars=1',
      `${registry.host}/berth-test`,
      '--format',
      '{{json .}}',
    ]);
    expect(searchNames(starred)).toEqual([]);
  });

  it('names a bad limit or filter', async () => {
    const limit = await cli.run(['search', '--limit', '200', `${registry.host}/busybox`]);
    expect(limit.code).not.toBe(0);
    expect(limit.stderr).toContain('Limit 200 is outside the range of [1, 100]');
    const filter = await cli.run(['search', '--filter', 'is-official=maybe', 'busybox']);
    expect(filter.code).not.toBe(0);
    expect(filter.stderr).toContain("Invalid filter 'is-official=maybe'");
  });

  it('says which registry cannot be reached', async () => {
    const result = await cli.run(['search', '127.0.0.1:1/anything']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('127.0.0.1:1');
  });
});

describe('docker import from a URL against berthd', () => {
  it('downloads the tarball, follows a redirect, and records where it came from', async () => {
    await cli.ok(['import', `${tarballBase}/moved.tar`, 'berth-test/imported:url']);
    const run = await cli.ok([
      'run',
      '--rm',
      'berth-test/imported:url',
      '/bin/busybox',
      'echo',
      'hi',
    ]);
    expect(run.trim()).toBe('hi');
    const history = await cli.ok([
      'history',
      '--no-trunc',
      '--format',
      '{{.Comment}}',
      'berth-test/imported:url',
    ]);
    expect(history.trim()).toBe(`Imported from ${tarballBase}/moved.tar`);
  });

  it('names the URL and the status when the download fails, and stores nothing', async () => {
    const before = await cli.ok(['images', '-q']);
    const missing = await cli.run([
      'import',
      `${tarballBase}/missing.tar`,
      'berth-test/imported:bad',
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`downloading ${tarballBase}/missing.tar failed: status 404`);
    // The CLI reads non-http sources as local files, so this goes to the API directly.
    const unsupported = await postToSocket(
      berthd.socket,
      '/images/create?fromSrc=' + encodeURIComponent('ftp://127.0.0.1/x.tar'),
    );
    expect(unsupported.status).toBe(400);
    expect(unsupported.body).toContain('only http and https URLs can be imported');
    expect(await cli.ok(['images', '-q'])).toBe(before);
  });
});
