import { describe, expect, it } from 'vitest';
import { ModuleResolutionError, moduleLoadOrder, parseModulesDep } from './module-order';

const modulesDep = [
  'kernel/drivers/virtio/virtio_ring.ko:',
  'kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio_pci_modern_dev.ko:',
  'kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko',
  'kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  'kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko',
  'kernel/fs/fuse/fuse.ko:',
  'kernel/a/loop-x.ko: kernel/a/loop-y.ko',
  'kernel/a/loop-y.ko: kernel/a/loop-x.ko',
  '',
].join('\n');

describe('moduleLoadOrder', () => {
  const deps = parseModulesDep(modulesDep);

  it('puts virtio_ring before virtio before virtio_pci, each once', () => {
    expect(moduleLoadOrder(deps, ['virtio_pci', 'virtio_blk'])).toEqual([
      'kernel/drivers/virtio/virtio_pci_modern_dev.ko',
      'kernel/drivers/virtio/virtio_ring.ko',
      'kernel/drivers/virtio/virtio.ko',
      'kernel/drivers/virtio/virtio_pci.ko',
      'kernel/drivers/block/virtio_blk.ko',
    ]);
  });

  it('loads a dependency before its user', () => {
    expect(moduleLoadOrder(deps, ['virtiofs'])).toEqual([
      'kernel/fs/fuse/fuse.ko',
      'kernel/fs/fuse/virtiofs.ko',
    ]);
  });

  it('treats dashes and underscores in names alike, and refuses a cycle', () => {
    expect(() => moduleLoadOrder(deps, ['loop_x'])).toThrow(/cycle at kernel\/a\/loop-x.ko/);
  });

  it('names a module the kernel does not ship', () => {
    expect(() => moduleLoadOrder(deps, ['9pnet_virtio'])).toThrow(ModuleResolutionError);
    expect(() => moduleLoadOrder(deps, ['9pnet_virtio'])).toThrow(
      /9pnet_virtio is not in modules.dep/,
    );
  });
});
