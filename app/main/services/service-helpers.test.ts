import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from './concurrency';
import { cpuPercent, memoryUsage, toContainerSummary } from './containers-service';
import { NdjsonSplitter } from './ndjson';
import { toPullProgress, withDefaultTag } from './pull';
import { listArchive } from './volumes-service';

function tarHeader(name: string, type: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write(size.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write(type, 156);
  header.write('ustar\0', 257);
  return header;
}

function tarOf(entries: { name: string; type: string; content?: string }[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = Buffer.from(entry.content ?? '');
    parts.push(tarHeader(entry.name, entry.type, content.length));
    if (content.length) parts.push(content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

describe('service helpers', () => {
  it('adds :latest only where a reference has no tag or digest', () => {
    expect(withDefaultTag('busybox')).toBe('busybox:latest');
    expect(withDefaultTag('127.0.0.1:5000/app')).toBe('127.0.0.1:5000/app:latest');
    expect(withDefaultTag('127.0.0.1:5000/app:1.2')).toBe('127.0.0.1:5000/app:1.2');
    expect(withDefaultTag('app@sha256:abc')).toBe('app@sha256:abc');
  });

  it('keeps byte counts only for lines that carry them', () => {
    expect(
      toPullProgress({
        id: 'l1',
        status: 'Downloading',
        progressDetail: { current: 5, total: 10 },
      }),
    ).toEqual({ id: 'l1', status: 'Downloading', current: 5, total: 10 });
    expect(toPullProgress({ id: 'l1', status: 'Pull complete', progressDetail: {} })).toEqual({
      id: 'l1',
      status: 'Pull complete',
    });
  });

  it('splits NDJSON across arbitrary chunk boundaries', () => {
    const values: unknown[] = [];
    const splitter = new NdjsonSplitter();
    const text = '{"a":1}\n\n{"b":2}\r\n{"c":3}';
    for (const char of text) splitter.push(char, (value) => values.push(value));
    splitter.end((value) => values.push(value));
    expect(values).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });

  it('computes CPU % from two samples and memory without page cache', () => {
    expect(cpuPercent(undefined, { cpuTotal: 10, systemTotal: 10 }, 2)).toBe(0);
    expect(
      cpuPercent({ cpuTotal: 100, systemTotal: 1000 }, { cpuTotal: 150, systemTotal: 2000 }, 4),
    ).toBeCloseTo(20);
    expect(memoryUsage({ usage: 1000, stats: { inactive_file: 300 } })).toBe(700);
    expect(memoryUsage({ usage: 1000, stats: { total_inactive_file: 100 } })).toBe(900);
  });

  it('turns an engine container entry into a summary with its compose project', () => {
    const summary = toContainerSummary({
      Id: 'abc',
      Names: ['/shop-web-1'],
      Image: 'nginx',
      ImageID: 'sha256:1',
      Command: 'nginx',
      Created: 1,
      State: 'Running',
      Status: 'Up 1 second',
      Ports: [
        { PrivatePort: 80, PublicPort: 8080, IP: '0.0.0.0', Type: 'tcp' },
        { PrivatePort: 443, Type: 'tcp' },
      ],
      Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
      HostConfig: { NetworkMode: 'bridge' },
      NetworkSettings: { Networks: {} },
      Mounts: [],
    } as never);
    expect(summary).toMatchObject({
      name: 'shop-web-1',
      state: 'running',
      composeProject: 'shop',
      composeService: 'web',
    });
    expect(summary.ports).toEqual([
      { privatePort: 80, publicPort: 8080, ip: '0.0.0.0', type: 'tcp' },
      { privatePort: 443, type: 'tcp' },
    ]);
  });

  it('caps concurrency and keeps result order', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 3, 2, 4, 1], 2, async (delay) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, delay));
      running--;
      return delay * 10;
    });
    expect(peak).toBe(2);
    expect(results).toEqual([50, 10, 30, 20, 40, 10]);
  });

  it('lists the direct children of a directory from its archive, dirs first', async () => {
    const tar = tarOf([
      { name: 'berth-volume/', type: '5' },
      { name: 'berth-volume/b.txt', type: '0', content: 'hello' },
      { name: 'berth-volume/a-dir/', type: '5' },
      { name: 'berth-volume/a-dir/deep.txt', type: '0', content: 'x'.repeat(700) },
      { name: 'berth-volume/link', type: '2' },
    ]);
    // Deliver in awkward chunk sizes to exercise the streaming reader.
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < tar.length; offset += 300)
      chunks.push(tar.subarray(offset, offset + 300));
    const entries = await listArchive(Readable.from(chunks), '');
    expect(entries.map((entry) => [entry.path, entry.type, entry.size])).toEqual([
      ['/a-dir', 'directory', 0],
      ['/b.txt', 'file', 5],
      ['/link', 'symlink', 0],
    ]);
  });
});
