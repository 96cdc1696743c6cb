// What the builder needs from the image store: step images that live only in the build cache
// (handed to containers for RUN without being listed as images), and registering the final
// image of a build with its tags.
import { SystemError } from '../../errors';
import { canonicalString, familiarString, parseReference } from '../../drivers/registry/reference';
import type { BlobStore } from '../../store/blob-store';
import type { ImageRecord, ImageStore, LayerDescriptorRecord } from '../../store/image-store';
import type { LayerStore } from '../../drivers/snapshots/layer-store';
import type { EventBus } from '../events';

export interface BuiltImage {
  /** `sha256:` of `blob`. */
  id: string;
  /** The config blob text. */
  blob: string;
  layers: LayerDescriptorRecord[];
  created: string;
}

export interface RegisterDeps {
  blobs: BlobStore;
  layers: LayerStore;
  images: ImageStore;
  events: EventBus;
}

/** Stores the config blob (if missing), the record, and points every tag at it. */
export async function registerBuiltImage(
  deps: RegisterDeps,
  image: BuiltImage,
  tags: readonly string[],
): Promise<string[]> {
  const stored = await deps.blobs.put(image.blob);
  if (stored !== image.id)
    throw new SystemError(`config blob digest ${stored} is not the built image ${image.id}`);
  let size = 0;
  for (const layer of image.layers) size += (await deps.layers.info(layer.diffId)).size;
  const refs = tags.map((tag) => parseReference(tag));
  const existing = deps.images.get(image.id);
  const record: ImageRecord = existing ?? {
    id: image.id,
    layers: image.layers,
    repoDigests: [],
    size,
    created: image.created,
    loadedAt: new Date().toISOString(),
  };
  const canonical = refs.map(canonicalString);
  // A rebuild that changed nothing finds its image and tags in place: nothing to write.
  const unchanged =
    existing !== undefined && canonical.every((ref) => deps.images.tagTarget(ref) === image.id);
  if (!unchanged) await deps.images.save(record, canonical);
  const names = refs.map(familiarString);
  for (const name of names) {
    deps.events.emit({
      Type: 'image',
      Action: 'tag',
      Actor: { ID: image.id, Attributes: { name } },
    });
  }
  return names;
}
