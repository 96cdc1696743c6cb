import { PassThrough, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../shared/errors';
import type { EngineAccess } from '../engine/engine-manager';
import { createFilesService, listDirectory } from './files-service';
import { extractFirstFile, singleFileTar, tarEnd, tarEntry } from './single-file-tar';
import { TarHeaderReader } from './tar-listing';

const empty = Buffer.alloc(0);

function etcArchive(): Buffer {
  return Buffer.concat([
    tarEntry('etc/', empty, { type: '5', mode: 0o755 }),
    tarEntry('etc/passwd', Buffer.from('root:x:0:0\n'), { mtime: 1_700_000_000 }),
    tarEntry('etc/ssl/', empty, { type: '5', mode: 0o755 }),
    tarEntry('etc/ssl/cert.pem', Buffer.from('pem')),
    tarEntry('etc/hostname', Buffer.from('box\n')),
    tarEntry('etc/mtab', empty, { type: '2', linkTarget: '/proc/mounts' }),
    tarEnd,
  ]);
}

describe('single-file tar', () => {
  it('round-trips a file through an archive the header reader understands', () => {
    const content = Buffer.from('hello\n'.repeat(200));
    const archive = singleFileTar('notes.txt', content, 0o600, 1_700_000_000);
    expect(archive.length % 512).toBe(0);
    const seen: unknown[] = [];
    const reader = new TarHeaderReader((entry) => seen.push(entry));
    reader.push(archive);
    expect(seen).toEqual([
      expect.objectContaining({ path: 'notes.txt', type: 'file', size: 1200, mode: 0o600 }),
    ]);
    expect(extractFirstFile(archive)).toEqual({ name: 'notes.txt', content });
  });

  it('names what the path was when it is not a regular file', () => {
    expect(() => extractFirstFile(etcArchive())).toThrow('etc/ is a directory');
    expect(() => extractFirstFile(tarEnd)).toThrow(ServiceError);
  });

  it('refuses a name longer than a ustar header holds', () => {
    expect(() => singleFileTar('x'.repeat(101), empty)).toThrow('longer than 100 bytes');
  });
});

describe('listDirectory', () => {
  it('lists direct children only, directories first', async () => {
    const listing = await listDirectory(Readable.from([etcArchive()]), '/etc');
    expect(listing.truncated).toBe(false);
    expect(listing.entries.map((entry) => [entry.path, entry.type])).toEqual([
      ['/etc/ssl', 'directory'],
      ['/etc/hostname', 'file'],
      ['/etc/mtab', 'symlink'],
      ['/etc/passwd', 'file'],
    ]);
    expect(listing.entries.find((entry) => entry.name === 'mtab')?.linkTarget).toBe('/proc/mounts');
  });

  it('lists the root, whose entries carry no directory prefix', async () => {
    const archive = Buffer.concat([
      tarEntry('./', empty, { type: '5' }),
      tarEntry('bin/', empty, { type: '5' }),
      tarEntry('bin/sh', Buffer.from('x')),
      tarEntry('.dockerenv', empty),
      tarEnd,
    ]);
    const listing = await listDirectory(Readable.from([archive]), '/');
    expect(listing.entries.map((entry) => entry.path)).toEqual(['/bin', '/.dockerenv']);
  });

  it('stops reading once the stream sent the end of the archive', async () => {
    const stream = new PassThrough();
    const listing = listDirectory(stream, '/etc');
    stream.write(etcArchive());
    expect((await listing).entries).toHaveLength(4);
    expect(stream.destroyed).toBe(true);
  });
});

describe('files service', () => {
  function engineWith(container: Record<string, unknown>): EngineAccess {
    return {
      docker: () => ({ getContainer: () => container }) as unknown as Docker,
    } as unknown as EngineAccess;
  }

  it('downloads a file as base64 and uploads one as a one-file archive', async () => {
    const puts: { archive: Buffer; options: unknown }[] = [];
    const files = createFilesService(
      engineWith({
        getArchive: async () => Readable.from([singleFileTar('motd', Buffer.from('hi\n'))]),
        putArchive: async (archive: Buffer, options: unknown) => {
          puts.push({ archive, options });
        },
      }),
    );
    expect(await files.download({ id: 'c', path: '/etc/motd' })).toEqual({
      name: 'motd',
      size: 3,
      contentBase64: Buffer.from('hi\n').toString('base64'),
    });
    const result = await files.upload({
      id: 'c',
      directory: '/tmp/',
      name: 'up.txt',
      contentBase64: Buffer.from('uploaded').toString('base64'),
    });
    expect(result).toEqual({ path: '/tmp/up.txt' });
    expect(puts[0]!.options).toEqual({ path: '/tmp/' });
    expect(extractFirstFile(puts[0]!.archive)).toEqual({
      name: 'up.txt',
      content: Buffer.from('uploaded'),
    });
  });

  it('maps an engine 404 to not_found', async () => {
    const files = createFilesService(
      engineWith({
        getArchive: async () => {
          throw Object.assign(
            new Error('(HTTP code 404) no such container - Could not find the file /nope'),
            {
              statusCode: 404,
              json: { message: 'Could not find the file /nope in container c' },
            },
          );
        },
      }),
    );
    await expect(files.list({ id: 'c', path: '/nope' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
