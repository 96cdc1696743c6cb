// Types shared by the builder's parts, and the small interfaces it needs from the image and
// container services (the consumer owns them).
import { InvalidArgumentError } from '../../errors';
import type { RegistryCredentials } from '../../drivers/registry/auth';
import type { BlobStore } from '../../store/blob-store';
import type { ImageRecord, LayerDescriptorRecord } from '../../store/image-store';
import type { LayerStore } from '../../drivers/snapshots/layer-store';
import type { OverlayRootfs } from '../../drivers/rootfs/overlay-rootfs';
import type { Logger } from '../../logger';
import type { ImageConfig, ImageConfigBlob } from '../images/image-config';
import type { BuiltImage } from '../images/build-images';
import type { ProgressSink } from '../images/progress';
import type { BuildCache } from './build-cache';

export interface StepImage {
  /** `sha256:` of the config blob; '' for `scratch` before any step. */
  id: string;
  blob: ImageConfigBlob;
  layers: LayerDescriptorRecord[];
}

export interface BuildImages {
  lookup(nameOrId: string): ImageRecord;
  config(record: ImageRecord): Promise<ImageConfigBlob>;
  pull(options: {
    reference: string;
    platform?: string;
    credentials: RegistryCredentials;
    signal?: AbortSignal;
    onProgress: ProgressSink;
  }): Promise<ImageRecord>;
  holdTransientImage(image: {
    id: string;
    name: string;
    config: ImageConfig;
    layerPaths: string[];
  }): () => void;
  registerBuiltImage(image: BuiltImage, tags: readonly string[]): Promise<string[]>;
  readonly deps: { blobs: BlobStore; layers: LayerStore };
}

export interface BuildContainers {
  create(request: Record<string, unknown>, name?: string): Promise<{ Id: string }>;
  start(ref: string): Promise<void>;
  remove(ref: string, options?: { force?: boolean; volumes?: boolean }): Promise<void>;
  beginWait(ref: string, condition: 'not-running'): Promise<{ StatusCode: number }>;
  runtimeInfo(ref: string): { logPath: string; exited: Promise<void> };
  writableLayerDir(ref: string): string;
}

export interface BuildDeps {
  images: BuildImages;
  containers: BuildContainers;
  overlay: OverlayRootfs;
  cache: BuildCache;
  /** Scratch space (contexts, mounts) on the data root's filesystem. */
  workRoot: string;
  logger: Logger;
}

export interface BuildRequest {
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string | null>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  /** Remove intermediate containers after a successful step (always after a failed one too). */
  remove: boolean;
  labels: Record<string, string>;
  networkMode: string;
  platform?: string;
  credentialsFor(domain: string): RegistryCredentials;
  quiet: boolean;
}

/** Messages to the client: `{stream}`, `{status,...}` pull progress, `{aux}`. */
export type BuildOutput = (message: object) => void;

/** A failing RUN: the message carries its exit code, as dockerd's errorDetail does. */
export class RunStepError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
