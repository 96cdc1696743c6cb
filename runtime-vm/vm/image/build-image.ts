// The guest image recipe: kernel + stage-1 initramfs + a read-only ext4 root holding the Debian
// runtime packages, Node, berthd (one bundled file) and the guest agent. Every artifact lives
// under <cacheDir>/<key>/ where the key hashes all inputs, so a rebuild happens exactly when an
// input changed. TypeScript (run with tsx) rather than bash: the keys, the module load order and
// the manifest are data, and the tests and the launcher import the same function.
import { build as esbuild } from 'esbuild';
import {
  existsSync,
  readdirSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  copyFileSync,
  chmodSync,
  appendFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_DISK_SERIAL, GUEST_DATA_ROOT } from '../guest/protocol';
import { buildBaseRoot } from './base-root';
import { installPackages, resolveBerthdDependencies } from './berthd-dependencies';
import { cacheKey } from './cache-key';
import { buildInitramfs } from './initramfs';
import { resolveKernelPackage, unpackKernel } from './kernel-package';
import { fetchNodeRuntime, resolveNodeVersion } from './node-runtime';
import {
  ARCH_PROFILES,
  DEBIAN_MIRROR,
  DEBIAN_SUITE,
  KERNEL_CMDLINE,
  NODE_VERSION_RANGE,
  ROOT_MODULE_DIRS,
  ROOT_PACKAGES,
  ROOT_PRUNE_PATHS,
  STAGE1_MODULES,
  type GuestArch,
} from './recipe';
import { BuildStepError, runTool } from './run-command';

const here = dirname(fileURLToPath(import.meta.url));
const guestDir = resolve(here, '../guest');

export interface BuildImageOptions {
  /** The repository root; defaults to the one this file lives in. */
  repoRoot?: string;
  /** Defaults to $BERTH_VM_CACHE, else <repoRoot>/.vm-cache (a CI runner can keep the former). */
  cacheDir?: string;
  arch?: GuestArch;
  /** Defaults to <repoRoot>/dist/berthd.mjs (built by `node scripts/build.mjs`). */
  berthdBundle?: string;
  log?: (line: string) => void;
  /** Also write the root as a tarball (WSL2 imports a distribution from one). */
  rootTarball?: boolean;
}

export interface ImageManifest {
  key: string;
  arch: GuestArch;
  kernelPackage: string;
  kernelRelease: string;
  nodePackage: string;
  nodeVersion: string;
  stage1Modules: string[];
  /** The kernel command line, less the console device the launcher adds. */
  cmdline: string[];
  sizes: {
    kernelBytes: number;
    initramfsBytes: number;
    rootBytes: number;
    rootAllocatedBytes: number;
  };
  /** Seconds the build that produced this image took (0 for steps served from cache). */
  buildSeconds: { base: number; image: number; total: number };
  builtAt: string;
}

export interface GuestImage {
  dir: string;
  kernel: string;
  initramfs: string;
  rootDisk: string;
  rootTarball?: string;
  manifest: ImageManifest;
}

export const IMAGE_FILES = {
  kernel: 'vmlinuz',
  initramfs: 'initramfs.cpio',
  rootDisk: 'root.ext4',
  rootTarball: 'root.tar',
  manifest: 'manifest.json',
};

export async function buildGuestImage(options: BuildImageOptions = {}): Promise<GuestImage> {
  const started = Date.now();
  const repoRoot = options.repoRoot ?? resolve(here, '../../..');
  const cacheDir = options.cacheDir ?? process.env.BERTH_VM_CACHE ?? join(repoRoot, '.vm-cache');
  const arch = options.arch ?? 'amd64';
  const profile = ARCH_PROFILES[arch];
  const log = options.log ?? ((line: string) => process.stderr.write(`vm-image: ${line}\n`));
  const berthdBundle = options.berthdBundle ?? join(repoRoot, 'dist/berthd.mjs');
  if (!existsSync(berthdBundle)) {
    throw new BuildStepError(
      `berthd bundle ${berthdBundle} is missing: run \`node scripts/build.mjs\` (npm run build) first`,
    );
  }
  mkdirSync(cacheDir, { recursive: true });

  const kernelPackage = await resolveKernelPackage(profile);
  const baseKey = cacheKey({
    suite: DEBIAN_SUITE,
    mirror: DEBIAN_MIRROR,
    arch,
    packages: ROOT_PACKAGES.join(' '),
    prune: ROOT_PRUNE_PATHS.join(' '),
    moduleDirs: ROOT_MODULE_DIRS.join(' '),
    kernel: `${kernelPackage.packageName}=${kernelPackage.packageVersion}`,
    recipe: { file: join(here, 'base-root.ts') },
  });
  const nodeVersion = await resolveNodeVersion(profile, NODE_VERSION_RANGE);
  const berthdPackages = await resolveBerthdDependencies(
    readFileSync(berthdBundle, 'utf8'),
    repoRoot,
    arch,
    cacheDir,
  );
  const agentBundle = await bundleAgent();
  const key = cacheKey({
    base: baseKey,
    node: `${profile.nodePackage}@${nodeVersion}`,
    berthd: { file: berthdBundle },
    berthdPackages: berthdPackages.map((pkg) => `${pkg.name}@${pkg.version}`).join(' '),
    agent: agentBundle,
    stage1: { file: join(guestDir, 'stage1-init.sh') },
    init: { file: join(guestDir, 'berth-init.sh') },
    stage1Modules: STAGE1_MODULES.join(' '),
    rootTarball: options.rootTarball ? 'yes' : 'no',
    cmdline: KERNEL_CMDLINE.join(' '),
    builder: { file: join(here, 'build-image.ts') },
    dependencies: { file: join(here, 'berthd-dependencies.ts') },
    initramfs: { file: join(here, 'initramfs.ts') },
  });
  const dir = join(cacheDir, key);
  const image = readCached(dir);
  if (image) {
    log(`cached image ${dir}`);
    return image;
  }

  log(`building image ${key} (${arch}) in ${cacheDir}`);
  const kernel = await unpackKernel(kernelPackage, profile, cacheDir);
  const baseStarted = Date.now();
  const baseExisted = existsSync(join(cacheDir, `base-${arch}-${baseKey}`));
  const baseRoot = await buildBaseRoot({ profile, kernel, cacheDir, key: baseKey, log });
  const baseSeconds = baseExisted ? 0 : (Date.now() - baseStarted) / 1000;
  const node = await fetchNodeRuntime(profile, nodeVersion, cacheDir);

  const imageStarted = Date.now();
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  // A failed build leaves no half-made folder behind (and never a half-made image).
  try {
    const rootStage = join(staging, 'rootfs');
    log('assembling the root');
    await runTool('cp', ['-a', baseRoot, rootStage], { nice: true });
    mkdirSync(join(rootStage, 'opt/berth'), { recursive: true });
    mkdirSync(join(rootStage, 'var/lib/berth'), { recursive: true });
    copyFileSync(node.binary, join(rootStage, 'usr/local/bin/node'));
    chmodSync(join(rootStage, 'usr/local/bin/node'), 0o755);
    copyFileSync(berthdBundle, join(rootStage, 'opt/berth/berthd.mjs'));
    installPackages(berthdPackages, join(rootStage, 'opt/berth/node_modules'));
    writeFileSync(join(rootStage, 'opt/berth/agent.mjs'), agentBundle);
    const init = readFileSync(join(guestDir, 'berth-init.sh'), 'utf8')
      .replaceAll('@DATA_SERIAL@', DATA_DISK_SERIAL)
      .replaceAll('@DATA_ROOT@', GUEST_DATA_ROOT);
    writeFileSync(join(rootStage, 'sbin/berth-init'), init, { mode: 0o755 });
    addSocketGroup(rootStage);

    log('initramfs');
    const stage1Modules = await buildInitramfs({
      rootfs: rootStage,
      kernelRelease: kernel.release,
      stage1Script: join(guestDir, 'stage1-init.sh'),
      output: join(staging, IMAGE_FILES.initramfs),
      workDir: join(staging, 'initramfs'),
    });
    copyFileSync(kernel.vmlinuz, join(staging, IMAGE_FILES.kernel));

    log('ext4 root');
    const rootDisk = join(staging, IMAGE_FILES.rootDisk);
    await makeExt4(rootStage, rootDisk);
    if (options.rootTarball) {
      await runTool(
        'tar',
        [
          '--numeric-owner',
          '--xattrs',
          '-C',
          rootStage,
          '-cf',
          join(staging, IMAGE_FILES.rootTarball),
          '.',
        ],
        { nice: true },
      );
    }
    rmSync(rootStage, { recursive: true, force: true });

    const manifest: ImageManifest = {
      key,
      arch,
      kernelPackage: `${kernel.packageName}=${kernel.packageVersion}`,
      kernelRelease: kernel.release,
      nodePackage: node.packageName,
      nodeVersion: node.version,
      stage1Modules,
      cmdline: KERNEL_CMDLINE,
      sizes: {
        kernelBytes: statSync(join(staging, IMAGE_FILES.kernel)).size,
        initramfsBytes: statSync(join(staging, IMAGE_FILES.initramfs)).size,
        rootBytes: statSync(rootDisk).size,
        rootAllocatedBytes: statSync(rootDisk).blocks * 512,
      },
      buildSeconds: {
        base: baseSeconds,
        image: (Date.now() - imageStarted) / 1000,
        total: (Date.now() - started) / 1000,
      },
      builtAt: new Date().toISOString(),
    };
    writeFileSync(join(staging, IMAGE_FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  pruneCache(cacheDir, key, `base-${arch}-${baseKey}`);
  const built = readCached(dir);
  if (!built) throw new BuildStepError(`image ${dir} vanished right after it was built`);
  log(`built ${dir} in ${built.manifest.buildSeconds.total.toFixed(1)} s`);
  return built;
}

/** Every berthd change makes a new ~270 MB image: keep the newest two and the current base. */
function pruneCache(cacheDir: string, keepKey: string, keepBase: string): void {
  const entries = readdirSync(cacheDir, { withFileTypes: true }).filter((entry) =>
    entry.isDirectory(),
  );
  const images = entries
    .filter((entry) => /^[0-9a-f]{16}$/.test(entry.name) && entry.name !== keepKey)
    .map((entry) => ({ name: entry.name, mtime: statSync(join(cacheDir, entry.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const stale of images.slice(1))
    rmSync(join(cacheDir, stale.name), { recursive: true, force: true });
  const sameArchBase = keepBase.slice(0, keepBase.lastIndexOf('-') + 1);
  for (const entry of entries) {
    if (
      entry.name.startsWith(sameArchBase) &&
      /-[0-9a-f]{16}$/.test(entry.name) &&
      entry.name !== keepBase
    ) {
      rmSync(join(cacheDir, entry.name), { recursive: true, force: true });
    }
  }
}

function readCached(dir: string): GuestImage | undefined {
  const manifestPath = join(dir, IMAGE_FILES.manifest);
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ImageManifest;
  return {
    dir,
    kernel: join(dir, IMAGE_FILES.kernel),
    initramfs: join(dir, IMAGE_FILES.initramfs),
    rootDisk: join(dir, IMAGE_FILES.rootDisk),
    rootTarball: existsSync(join(dir, IMAGE_FILES.rootTarball))
      ? join(dir, IMAGE_FILES.rootTarball)
      : undefined,
    manifest,
  };
}

/** The agent as one ESM file for the guest's Node. */
async function bundleAgent(): Promise<Buffer> {
  const result = await esbuild({
    entryPoints: [join(guestDir, 'agent/main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    write: false,
    logLevel: 'warning',
  });
  const file = result.outputFiles[0];
  if (!file) throw new BuildStepError('esbuild produced no agent bundle');
  return Buffer.from(file.contents);
}

/**
 * berthd's socket group, made at build time: berthd runs `groupadd` when it is missing, one more
 * process start on the boot path (a few hundred ms under emulation).
 */
function addSocketGroup(root: string): void {
  const groupFile = join(root, 'etc/group');
  const groups = readFileSync(groupFile, 'utf8');
  if (/^berth:/m.test(groups)) return;
  const taken = new Set(groups.split('\n').map((line) => Number(line.split(':')[2])));
  let gid = 999;
  while (taken.has(gid)) gid--;
  appendFileSync(groupFile, `berth:x:${gid}:\n`);
  appendFileSync(join(root, 'etc/gshadow'), 'berth:!::\n');
}

/** An ext4 image made from a folder (no mount, no loop device); no journal: it is read-only. */
async function makeExt4(sourceDir: string, output: string): Promise<void> {
  const usedKiB = Number((await runTool('du', ['-sk', sourceDir])).split(/\s/)[0]);
  const sizeMiB = Math.ceil((usedKiB * 1.15) / 1024) + 48;
  await runTool(
    'mkfs.ext4',
    [
      '-q',
      '-F',
      '-L',
      'berth-root',
      '-U',
      '6b1e3c52-8f0a-4c55-9d1e-2b7f3a9c0d41',
      '-E',
      'hash_seed=2f0c9a61-5d7e-4b3a-8c1f-9e6d2a4b7c30,root_owner=0:0',
      '-O',
      '^has_journal',
      '-m',
      '0',
      '-d',
      sourceDir,
      output,
      `${sizeMiB}M`,
    ],
    { nice: true, env: { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000' } },
  );
}
