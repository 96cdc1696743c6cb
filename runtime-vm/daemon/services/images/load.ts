// `docker load`: accepts the manifest.json archives written by `docker save` (legacy
// <id>/layer.tar layout and the blobs/sha256 layout), compressed or not. Every layer is verified
// against the config's diff_ids before the image is registered.
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../errors';
import { canonicalString, familiarString, parseReference } from '../../drivers/registry/reference';
import { decompressSniffed } from '../../drivers/snapshots/decompress';
import { sha256Digest } from '../../store/blob-store';
import type { ImageRecord, LayerDescriptorRecord } from '../../store/image-store';
import { parseImageConfig } from './image-config';
import { importLayer, type ImportDeps } from './import';
import type { ProgressSink } from './progress';
import { spoolArchive } from './tar-spool';

interface ManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function parseManifestJson(body: Buffer): ManifestEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidArgumentError('invalid manifest.json in the archive: not JSON');
  }
  if (
    !Array.isArray(json) ||
    !json.every(
      (e: ManifestEntry) =>
        typeof e?.Config === 'string' &&
        Array.isArray(e.Layers) &&
        e.Layers.every((l) => typeof l === 'string'),
    )
  ) {
    throw new InvalidArgumentError(
      'invalid manifest.json in the archive: expected [{Config, RepoTags, Layers}]',
    );
  }
  return json as ManifestEntry[];
}

export async function loadImages(
  deps: ImportDeps & { tmpRoot: string },
  source: NodeJS.ReadableStream,
  onProgress: ProgressSink,
  signal?: AbortSignal,
): Promise<string[]> {
  const dir = join(deps.tmpRoot, `load-${randomBytes(8).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  const loaded: string[] = [];
  try {
    const { stream } = await decompressSniffed(source);
    const archive = await spoolArchive(stream as AsyncIterable<Buffer>, dir);
    const manifestPath = archive.files.get('manifest.json');
    if (!manifestPath)
      throw new InvalidArgumentError('not a docker save archive: manifest.json is missing');
    const entries = parseManifestJson(await readFile(manifestPath));
    const fileOf = (path: string) => {
      const file = archive.files.get(path.replace(/^\.\//, ''));
      if (!file)
        throw new InvalidArgumentError(`archive is missing ${path} named in manifest.json`);
      return file;
    };
    for (const entry of entries) {
      const configBody = await readFile(fileOf(entry.Config));
      const config = parseImageConfig(configBody);
      if (config.rootfs.diff_ids.length !== entry.Layers.length) {
        throw new InvalidArgumentError(
          `manifest.json lists ${entry.Layers.length} layers but the config has ${config.rootfs.diff_ids.length}`,
        );
      }
      const layers: LayerDescriptorRecord[] = [];
      for (const [index, path] of entry.Layers.entries()) {
        const diffId = config.rootfs.diff_ids[index] as string;
        if ((await deps.layers.has(diffId)) && (await deps.blobs.has(diffId))) {
          const info = await deps.layers.info(diffId);
          layers.push({
            diffId,
            blobDigest: diffId,
            blobMediaType: 'application/vnd.docker.image.rootfs.diff.tar',
            blobSize: info.tarSize,
          });
          continue;
        }
        onProgress({ status: 'Loading layer', progressDetail: {}, id: diffId.slice(7, 19) });
        layers.push(await importLayer(deps, createReadStream(fileOf(path)), diffId, signal));
      }
      const id = await deps.blobs.put(configBody);
      if (id !== sha256Digest(configBody)) throw new InvalidArgumentError('config digest mismatch');
      let size = 0;
      for (const layer of layers) size += (await deps.layers.info(layer.diffId)).size;
      const now = new Date().toISOString();
      const record: ImageRecord = {
        id,
        layers,
        repoDigests: [],
        size,
        created: config.created ?? now,
        loadedAt: now,
      };
      const tags = (entry.RepoTags ?? []).map((t) => parseReference(t));
      await deps.images.save(
        record,
        tags.map((t) => canonicalString(t)),
      );
      if (tags.length === 0) {
        onProgress({ stream: `Loaded image ID: ${id}\n` });
        loaded.push(id);
      }
      for (const tag of tags) {
        onProgress({ stream: `Loaded image: ${familiarString(tag)}\n` });
        loaded.push(familiarString(tag));
      }
      deps.events.emit({ Type: 'image', Action: 'load', Actor: { ID: id, Attributes: {} } });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return loaded;
}
