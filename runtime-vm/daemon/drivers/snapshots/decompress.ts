// Layer decompression. gzip uses Node's zlib; Node 20 has no zstd, so zstd streams through the
// `zstd` CLI (Debian package `zstd`), one child process per layer.
import { spawn } from 'node:child_process';
import { createGunzip } from 'node:zlib';
import { Duplex, PassThrough } from 'node:stream';
import { InvalidArgumentError, SystemError } from '../../errors';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Compression from the first bytes of a blob (for load/import, where no media type is given). */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** Compression from an OCI/Docker layer media type. */
export function compressionOfMediaType(mediaType: string): Compression {
  if (
    mediaType.endsWith('+gzip') ||
    mediaType.endsWith('.tar.gzip') ||
    mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip'
  )
    return 'gzip';
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.tar.zstd')) return 'zstd';
  if (mediaType.endsWith('.tar') || mediaType.endsWith('layer.v1.tar')) return 'none';
  throw new InvalidArgumentError(`unsupported layer media type '${mediaType}'`);
}

function zstdDecompressor(): Duplex {
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('error', (error) => {
    duplex.destroy(new SystemError(`cannot run zstd to decompress a layer: ${error.message}`));
  });
  child.on('close', (code) => {
    if (code !== 0 && code !== null) {
      const detail = Buffer.concat(stderr).toString('utf8').trim();
      duplex.destroy(
        new InvalidArgumentError(`corrupt zstd layer: ${detail || `zstd exited ${code}`}`),
      );
    }
  });
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return duplex;
}

export function createDecompressor(compression: Compression): Duplex {
  switch (compression) {
    case 'gzip': {
      const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
      return gunzip;
    }
    case 'zstd':
      return zstdDecompressor();
    case 'none':
      return new PassThrough({ highWaterMark: 1024 * 1024 });
  }
}

/** Reads the first bytes of `source` to pick the decompressor; the returned stream is the plain tar. */
export async function decompressSniffed(
  source: NodeJS.ReadableStream,
): Promise<{ compression: Compression; stream: Duplex }> {
  const readable = source as import('node:stream').Readable;
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      readable.off('data', onData);
      readable.off('end', onEnd);
      readable.off('error', reject);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= 4) {
        readable.pause();
        cleanup();
        resolve(Buffer.concat(chunks));
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    readable.on('data', onData);
    readable.once('end', onEnd);
    readable.once('error', reject);
  });
  const compression = sniffCompression(head);
  const stream = createDecompressor(compression);
  stream.write(head);
  readable.pipe(stream);
  readable.once('error', (error) => stream.destroy(error));
  return { compression, stream };
}
