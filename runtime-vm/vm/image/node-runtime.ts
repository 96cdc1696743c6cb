// Node for the guest comes from the npm registry's node-linux-* packages (a plain prebuilt
// binary in bin/node); fetched with `npm pack`, so the ordinary npm client and cache are used.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ArchProfile } from './recipe';
import { BuildStepError, runTool } from './run-command';

export interface NodeRuntime {
  packageName: string;
  version: string;
  binary: string;
}

/** The newest published version in the range, as npm resolves it today. */
export async function resolveNodeVersion(profile: ArchProfile, range: string): Promise<string> {
  const out = await runTool('npm', [
    'view',
    `${profile.nodePackage}@${range}`,
    'version',
    '--json',
  ]);
  const parsed: unknown = JSON.parse(out);
  const versions = (Array.isArray(parsed) ? parsed : [parsed]).filter(
    (v): v is string => typeof v === 'string',
  );
  const newest = newestVersion(versions);
  if (!newest)
    throw new BuildStepError(`npm view ${profile.nodePackage}@${range} found no version`);
  return newest;
}

/** npm lists versions in publication order, not semver order (20.8.0 came after 20.9.0). */
export function newestVersion(versions: string[]): string | undefined {
  const parts = (version: string): number[] => version.split(/[.-]/).slice(0, 3).map(Number);
  return [...versions]
    .sort((a, b) => {
      const [pa, pb] = [parts(a), parts(b)];
      for (let i = 0; i < 3; i++)
        if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
      return 0;
    })
    .pop();
}

export async function fetchNodeRuntime(
  profile: ArchProfile,
  version: string,
  cacheDir: string,
): Promise<NodeRuntime> {
  const target = join(cacheDir, `node-${profile.nodePackage}-${version}`);
  const binary = join(target, 'bin/node');
  if (!existsSync(binary)) {
    const staging = `${target}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const packed = (
      await runTool('npm', ['pack', `${profile.nodePackage}@${version}`, '--silent'], {
        cwd: staging,
      })
    ).trim();
    const tarball = packed.split('\n').pop() ?? '';
    await runTool('tar', [
      '-xzf',
      join(staging, tarball),
      '--strip-components=1',
      '-C',
      staging,
      'package/bin/node',
    ]);
    rmSync(join(staging, tarball));
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  }
  return { packageName: profile.nodePackage, version, binary };
}
