// Importing a root filesystem tarball (`docker import`, POST /images/create?fromSrc=-) and the
// single-layer import shared with `docker load`: the plain tar is kept as the layer's blob (so
// save/push have it) while it is unpacked.
import { PassThrough, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../../errors';
import { mediaTypes, hostPlatform, parsePlatform } from '../../drivers/registry/manifest';
import { canonicalString, familiarString, parseReference } from '../../drivers/registry/reference';
import { decompressSniffed } from '../../drivers/snapshots/decompress';
import type { LayerStore } from '../../drivers/snapshots/layer-store';
import type { BlobStore } from '../../store/blob-store';
import type { ImageRecord, ImageStore, LayerDescriptorRecord } from '../../store/image-store';
import type { EventBus } from '../events';
import type { ImageConfig, ImageConfigBlob } from './image-config';
import { FileTee } from './file-tee';

export interface ImportDeps {
  blobs: BlobStore;
  layers: LayerStore;
  images: ImageStore;
  events: EventBus;
}

/** Unpacks one (possibly compressed) layer tar and stores its plain tar as a blob. */
export async function importLayer(
  deps: Pick<ImportDeps, 'blobs' | 'layers'>,
  source: NodeJS.ReadableStream,
  expectedDiffId: string | undefined,
  signal?: AbortSignal,
): Promise<LayerDescriptorRecord> {
  const { stream } = await decompressSniffed(source);
  const writer = await deps.blobs.createWriter();
  const tee = new FileTee(writer.stream as Writable);
  const unpackSource = new PassThrough({ highWaterMark: 1024 * 1024 });
  const piping = pipeline(stream, tee, unpackSource, signal ? { signal } : {});
  const unpacked = deps.layers.unpack(unpackSource, expectedDiffId, signal);
  const [piped, layer] = await Promise.allSettled([piping, unpacked]);
  const pending = layer.status === 'fulfilled' ? layer.value : undefined;
  try {
    if (piped.status === 'rejected') throw piped.reason;
    if (layer.status === 'rejected') throw layer.reason;
    const info = (pending as NonNullable<typeof pending>).info;
    await writer.commit(info.diffId, { durable: false });
    await pending?.commit();
    return {
      diffId: info.diffId,
      blobDigest: info.diffId,
      blobMediaType: mediaTypes.dockerLayerTar,
      blobSize: info.tarSize,
    };
  } catch (error) {
    await writer.abort();
    await pending?.discard();
    throw error;
  }
}

function splitArgs(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string'))
        return parsed as string[];
    } catch {
      // not JSON: shell form below
    }
  }
  return ['/bin/sh', '-c', trimmed];
}

/** Applies `--change` Dockerfile instructions (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL). */
export function applyChanges(changes: readonly string[]): ImageConfig {
  const config: ImageConfig = {};
  for (const change of changes.flatMap((c) => c.split('\n')).filter((c) => c.trim() !== '')) {
    const m = /^\s*(\w+)\s+(.*)$/s.exec(change);
    if (!m) throw new InvalidArgumentError(`invalid change ${JSON.stringify(change)}`);
    const instruction = (m[1] as string).toUpperCase();
    const args = (m[2] as string).trim();
    switch (instruction) {
      case 'CMD':
        config.Cmd = splitArgs(args);
        break;
      case 'ENTRYPOINT':
        config.Entrypoint = splitArgs(args);
        break;
      case 'ENV': {
        const env = config.Env ?? [];
        const pairs = args.includes('=') ? args.split(/\s+/) : [args.replace(/\s+/, '=')];
        env.push(...pairs);
        config.Env = env;
        break;
      }
      case 'EXPOSE': {
        const ports = config.ExposedPorts ?? {};
        for (const port of args.split(/\s+/)) ports[port.includes('/') ? port : `${port}/tcp`] = {};
        config.ExposedPorts = ports;
        break;
      }
      case 'LABEL': {
        const labels = config.Labels ?? {};
        for (const pair of args.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []) {
          const eq = pair.indexOf('=');
          if (eq > 0) labels[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"|"$/g, '');
        }
        config.Labels = labels;
        break;
      }
      case 'USER':
        config.User = args;
        break;
      case 'WORKDIR':
        config.WorkingDir = args;
        break;
      case 'STOPSIGNAL':
        config.StopSignal = args;
        break;
      case 'VOLUME': {
        const volumes = config.Volumes ?? {};
        for (const v of args.startsWith('[') ? splitArgs(args) : args.split(/\s+/)) volumes[v] = {};
        config.Volumes = volumes;
        break;
      }
      default:
        throw new InvalidArgumentError(`${instruction} is not a valid change command`);
    }
  }
  return config;
}

export async function importImage(
  deps: ImportDeps,
  options: {
    source: NodeJS.ReadableStream;
    repo?: string;
    tag?: string;
    message?: string;
    changes: string[];
    platform?: string;
    signal?: AbortSignal;
  },
): Promise<string> {
  const config = applyChanges(options.changes);
  const ref = options.repo
    ? parseReference(options.tag ? `${options.repo}:${options.tag}` : options.repo)
    : undefined;
  const platform = options.platform ? parsePlatform(options.platform) : hostPlatform();
  const layer = await importLayer(deps, options.source, undefined, options.signal);
  const created = new Date().toISOString();
  const blob: ImageConfigBlob = {
    architecture: platform.architecture,
    os: platform.os,
    created,
    config,
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created, created_by: '', comment: options.message ?? 'Imported from -' }],
  };
  const id = await deps.blobs.put(JSON.stringify(blob));
  const info = await deps.layers.info(layer.diffId);
  const record: ImageRecord = {
    id,
    layers: [layer],
    repoDigests: [],
    size: info.size,
    created,
    loadedAt: created,
  };
  await deps.images.save(record, ref ? [canonicalString(ref)] : []);
  deps.events.emit({
    Type: 'image',
    Action: 'import',
    Actor: { ID: id, Attributes: ref ? { name: familiarString(ref) } : {} },
  });
  return id;
}
