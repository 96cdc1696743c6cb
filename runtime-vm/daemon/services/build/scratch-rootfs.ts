// A build step's root filesystem without a container: the step's layers mounted with overlayfs
// over a fresh upper dir, for COPY/ADD and WORKDIR, and read-only views of other stages or images
// for `COPY --from`. Every mount is undone and every directory removed by release().
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { rootfsLayout, type OverlayRootfs } from '../../drivers/rootfs/overlay-rootfs';

export interface ScratchRootfs {
  /** The merged view, where the step writes. */
  root: string;
  /** The step's own changes. */
  upperDir: string;
  layerPaths: readonly string[];
  release(): Promise<void>;
}

export async function mountScratch(
  overlay: OverlayRootfs,
  workRoot: string,
  layerPaths: readonly string[],
): Promise<ScratchRootfs> {
  const dir = join(workRoot, `s-${randomBytes(6).toString('hex')}`);
  const root = join(dir, 'merged');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await overlay.mount(layerPaths, dir, root);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let released = false;
  return {
    root,
    upperDir: rootfsLayout(dir).upperDir,
    layerPaths,
    async release() {
      if (released) return;
      released = true;
      await overlay.unmount(root);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
