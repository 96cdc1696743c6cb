// The container file browser, all through the Engine API's archive endpoints (so it works on a
// stopped container and on a remote engine): GET /archive streams a directory's tar, read header
// by header and cut short once enough is known; download takes one file out of its archive;
// upload PUTs an archive holding the one file.
import type { Readable } from 'node:stream';
import { ServiceError } from '../../shared/errors';
import { maxDownloadBytes, maxUploadBytes, type FilesService } from '../../shared/services/files';
import type { ContainerDirectory, ContainerFileEntry } from '../../shared/workbench-types';
import type { EngineAccess } from '../engine/engine-manager';
import { toServiceError } from './errors';
import { extractFirstFile, singleFileTar } from './single-file-tar';
import { TarHeaderReader } from './tar-listing';

/** Entries returned per directory. */
export const maxDirectoryEntries = 2000;
/** Headers read at most (a directory with a deep tree under it is cut short, not read whole). */
export const maxScannedHeaders = 200_000;

/** Path components of a tar entry name: "./a/b/", "/a/b" and "a/b" all give ["a", "b"]. */
function components(name: string): string[] {
  return name.split('/').filter((part) => part !== '' && part !== '.');
}

export function joinPath(directory: string, name: string): string {
  return `${directory.replace(/\/+$/, '')}/${name}`;
}

/**
 * Lists the direct children of `directory` from the tar the engine sends for it. Entries are
 * named after the directory's base name ("etc/passwd" for /etc), or relative for "/".
 */
export async function listDirectory(
  archive: Readable,
  directory: string,
): Promise<ContainerDirectory> {
  const childDepth = directory === '/' ? 1 : 2;
  const entries: ContainerFileEntry[] = [];
  let truncated = false;
  let scanned = 0;
  const reader = new TarHeaderReader((entry) => {
    scanned++;
    const parts = components(entry.path);
    if (parts.length !== childDepth) return;
    if (entries.length >= maxDirectoryEntries) {
      truncated = true;
      return;
    }
    const name = parts.at(-1)!;
    entries.push({
      path: joinPath(directory, name),
      name,
      type: entry.type,
      size: entry.size,
      mode: entry.mode,
      modified: entry.modified,
      ...(entry.linkTarget !== undefined ? { linkTarget: entry.linkTarget } : {}),
    });
  });
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      archive.removeAllListeners('data');
      archive.destroy();
      resolve();
    };
    archive.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      if (reader.ended) done();
      else if (scanned >= maxScannedHeaders || (truncated && entries.length > 0)) {
        truncated = true;
        done();
      }
    });
    archive.once('end', () => resolve());
    archive.once('error', (error) => reject(toServiceError(error)));
  });
  entries.sort((a, b) =>
    a.type === 'directory' && b.type !== 'directory'
      ? -1
      : b.type === 'directory' && a.type !== 'directory'
        ? 1
        : a.name.localeCompare(b.name),
  );
  return { path: directory, entries, truncated };
}

async function readAll(stream: Readable, limit: number, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      stream.destroy();
      throw new ServiceError(
        'invalid_argument',
        `${path} is larger than ${Math.round(maxDownloadBytes / 1024 / 1024)} MiB: too big to download here (use docker cp)`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function createFilesService(engine: EngineAccess): FilesService {
  const container = (id: string) => engine.docker().getContainer(id);
  return {
    list: async ({ id, path }) => {
      let archive: Readable;
      try {
        archive = (await container(id).getArchive({ path })) as unknown as Readable;
      } catch (error) {
        throw toServiceError(error);
      }
      return listDirectory(archive, path === '/' ? '/' : path.replace(/\/+$/, ''));
    },
    download: async ({ id, path }) => {
      let archive: Readable;
      try {
        archive = (await container(id).getArchive({ path })) as unknown as Readable;
      } catch (error) {
        throw toServiceError(error);
      }
      // The archive adds a header and padding: allow a little over the file limit.
      const { name, content } = extractFirstFile(
        await readAll(archive, maxDownloadBytes + 64 * 1024, path),
      );
      return { name, size: content.length, contentBase64: content.toString('base64') };
    },
    upload: async ({ id, directory, name, contentBase64 }) => {
      const content = Buffer.from(contentBase64, 'base64');
      if (content.length > maxUploadBytes) {
        throw new ServiceError(
          'invalid_argument',
          `${name} is larger than ${maxUploadBytes / 1024} KiB, the upload limit`,
        );
      }
      const archive = singleFileTar(name, content, 0o644, Date.now() / 1000);
      try {
        await container(id).putArchive(archive, { path: directory });
      } catch (error) {
        throw toServiceError(error);
      }
      return { path: joinPath(directory, name) };
    },
  };
}
