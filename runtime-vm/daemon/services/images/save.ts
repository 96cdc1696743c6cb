// `docker save`: a tar with manifest.json, config blobs and uncompressed layer tars under
// blobs/sha256/, which both `docker load` (legacy manifest.json reader) and berthd load accept.
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../errors';
import { createDecompressor, compressionOfMediaType } from '../../drivers/snapshots/decompress';
import type { LayerStore } from '../../drivers/snapshots/layer-store';
import {
  encodeHeader,
  fileHeader,
  paddingFor,
  zeroBlock,
} from '../../drivers/snapshots/tar-format';
import type { BlobStore } from '../../store/blob-store';
import type { ImageRecord } from '../../store/image-store';

export interface SaveDeps {
  blobs: BlobStore;
  layers: LayerStore;
}

export interface SaveItem {
  record: ImageRecord;
  /** Familiar tags to record for this image (empty when saved by ID). */
  repoTags: string[];
}

const hex = (digest: string) => digest.replace(/^sha256:/, '');

function directoryHeader(name: string, mtime: number): Buffer {
  return encodeHeader({ ...fileHeader(name, 0, mtime), type: '5', mode: 0o755 });
}

async function* streamBody(
  source: AsyncIterable<Buffer>,
  expected: number,
  what: string,
): AsyncGenerator<Buffer> {
  let sent = 0;
  for await (const chunk of source) {
    sent += chunk.length;
    if (sent > expected) throw new InvalidArgumentError(`${what} is larger than recorded`);
    yield chunk;
  }
  if (sent !== expected)
    throw new InvalidArgumentError(
      `${what} is shorter than recorded (${sent} of ${expected} bytes)`,
    );
  yield Buffer.alloc(paddingFor(expected));
}

async function* saveEntries(deps: SaveDeps, items: SaveItem[]): AsyncGenerator<Buffer> {
  const mtime = Math.floor(Date.now() / 1000);
  const written = new Set<string>();
  yield directoryHeader('blobs/', mtime);
  yield directoryHeader('blobs/sha256/', mtime);
  const manifest: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
  for (const { record, repoTags } of items) {
    if (!written.has(record.id)) {
      written.add(record.id);
      const config = await deps.blobs.read(record.id);
      yield encodeHeader(fileHeader(`blobs/sha256/${hex(record.id)}`, config.length, mtime));
      yield config;
      yield Buffer.alloc(paddingFor(config.length));
    }
    for (const layer of record.layers) {
      if (written.has(layer.diffId)) continue;
      written.add(layer.diffId);
      const info = await deps.layers.info(layer.diffId);
      yield encodeHeader(fileHeader(`blobs/sha256/${hex(layer.diffId)}`, info.tarSize, mtime));
      const decompress = createDecompressor(compressionOfMediaType(layer.blobMediaType));
      const source = deps.blobs.createReadStream(layer.blobDigest);
      source.on('error', (error) => decompress.destroy(error));
      source.pipe(decompress);
      yield* streamBody(decompress, info.tarSize, `layer ${layer.diffId}`);
    }
    manifest.push({
      Config: `blobs/sha256/${hex(record.id)}`,
      RepoTags: repoTags.length > 0 ? repoTags : null,
      Layers: record.layers.map((l) => `blobs/sha256/${hex(l.diffId)}`),
    });
  }
  const manifestJson = Buffer.from(JSON.stringify(manifest) + '\n');
  yield encodeHeader(fileHeader('manifest.json', manifestJson.length, mtime));
  yield manifestJson;
  yield Buffer.alloc(paddingFor(manifestJson.length));
  yield zeroBlock;
  yield zeroBlock;
}

export function saveImages(deps: SaveDeps, items: SaveItem[]): Readable {
  return Readable.from(saveEntries(deps, items), { objectMode: false });
}
