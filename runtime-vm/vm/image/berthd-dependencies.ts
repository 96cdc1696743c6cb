// berthd is one esbuild bundle, except for packages the bundle leaves external (native addons
// such as node-unix-socket, which conmon's SOCK_SEQPACKET attach socket needs). Those are copied
// into the root's /opt/berth/node_modules from the repository's node_modules, with their
// dependencies; a prebuilt binary for the guest's platform is fetched with `npm pack` when the
// host has another one.
import { builtinModules } from 'node:module';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestArch } from './recipe';
import { BuildStepError, runTool } from './run-command';

const builtins = new Set(builtinModules);

/** Bare package names a bundle still imports (import/export from, import(), require()). */
export function externalPackages(bundle: string): string[] {
  const names = new Set<string>();
  // The specifier must look like a package name: code such as `flag("from") ? { from: flag("x")`
  // also has `from` before a quote.
  const pattern =
    /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["']((?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(?:\/[\w.-]+)*)["']/g;
  for (const match of bundle.matchAll(pattern)) {
    const specifier = match[1] as string;
    if (specifier.startsWith('node:')) continue;
    const parts = specifier.split('/');
    const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
    if (!builtins.has(name)) names.add(name);
  }
  return [...names].sort();
}

const PLATFORM_TOKEN: Record<GuestArch, string> = {
  amd64: 'linux-x64-gnu',
  arm64: 'linux-arm64-gnu',
};
const PLATFORM_SPECIFIC =
  /-(linux|darwin|win32|android|freebsd)-(x64|arm64|arm|ia32)(-(gnu|musl|msvc|gnueabihf))?$/;

export interface ResolvedPackage {
  name: string;
  version: string;
  /** A folder holding the package (repository node_modules or the npm-pack cache). */
  dir: string;
}

interface PackageJson {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export async function resolveBerthdDependencies(
  bundle: string,
  repoRoot: string,
  arch: GuestArch,
  cacheDir: string,
): Promise<ResolvedPackage[]> {
  const resolved = new Map<string, ResolvedPackage>();
  const visit = async (name: string, versionHint?: string): Promise<void> => {
    if (resolved.has(name)) return;
    const platformSpecific = PLATFORM_SPECIFIC.test(name);
    if (platformSpecific && !name.endsWith(PLATFORM_TOKEN[arch])) return;
    let dir = join(repoRoot, 'node_modules', name);
    if (!existsSync(join(dir, 'package.json'))) {
      if (!platformSpecific || !versionHint) {
        throw new BuildStepError(
          `berthd imports ${name}, which is not in ${join(repoRoot, 'node_modules')}: run npm ci`,
        );
      }
      dir = await packFromRegistry(name, versionHint.replace(/^[\^~]/, ''), cacheDir);
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
    resolved.set(name, { name, version: manifest.version, dir });
    for (const [dep, range] of Object.entries({
      ...manifest.dependencies,
      ...manifest.optionalDependencies,
    })) {
      await visit(dep, range);
    }
  };
  for (const name of externalPackages(bundle)) await visit(name);
  return [...resolved.values()].sort((a, b) => a.name.localeCompare(b.name));
}

async function packFromRegistry(name: string, version: string, cacheDir: string): Promise<string> {
  const target = join(cacheDir, 'npm', `${name.replace('/', '+')}-${version}`);
  if (!existsSync(join(target, 'package.json'))) {
    const staging = `${target}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const tarball =
      (await runTool('npm', ['pack', `${name}@${version}`, '--silent'], { cwd: staging }))
        .trim()
        .split('\n')
        .pop() ?? '';
    await runTool('tar', ['-xzf', join(staging, tarball), '--strip-components=1', '-C', staging]);
    rmSync(join(staging, tarball));
    rmSync(target, { recursive: true, force: true });
    cpSync(staging, target, { recursive: true });
    rmSync(staging, { recursive: true, force: true });
  }
  return target;
}

export function installPackages(packages: ResolvedPackage[], nodeModules: string): void {
  for (const pkg of packages)
    cpSync(pkg.dir, join(nodeModules, pkg.name), { recursive: true, dereference: true });
}
