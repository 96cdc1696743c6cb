// crun on a hybrid cgroup host. crun refuses to create containers when the v2 hierarchy of a
// hybrid host holds a controller ("cgroups in hybrid mode not supported, drop all controllers
// from cgroupv2"; on this kind of machine it holds hugetlb). Without that hierarchy in view crun
// takes the host for a v1 one and uses the v1 controllers, which is what runc does on such hosts
// anyway. So `create` runs through a small script that unmounts the v2 hierarchy in a private
// mount namespace of its own, then execs crun: the host's mounts stay as they are.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a runtime binary (or argv[0]) is crun, whose ways differ from runc's in places. */
export const isCrun = (path: string): boolean => /(^|\/)crun$/.test(path);

/** The cgroup v2 mount of a hybrid host when it holds controllers crun would refuse, if any. */
export function hybridV2WithControllers(
  mountinfo = readFileSync('/proc/self/mountinfo', 'utf8'),
  readControllers = (path: string) => readFileSync(join(path, 'cgroup.controllers'), 'utf8'),
): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    const mountPoint = before?.split(' ')[4];
    // Pure v2 mounts its hierarchy at /sys/fs/cgroup itself; hybrid mounts it below.
    if (after?.startsWith('cgroup2 ') && mountPoint?.startsWith('/sys/fs/cgroup/')) {
      try {
        return readControllers(mountPoint).trim() === '' ? undefined : mountPoint;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The script conmon runs as the runtime: `create` in a namespace without `v2Mount`. */
export function crunHybridScript(crunPath: string, v2Mount: string): string {
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  return [
    '# Written by berthd: crun sees a v1-only host for create (see crun-hybrid.ts).',
    'for arg; do',
    '  case "$arg" in',
    '    -*) ;;',
    '    create|run)',
    `      exec unshare --mount --propagation private sh -c 'umount "$0" && exec "$@"' ${quote(v2Mount)} ${quote(crunPath)} "$@" ;;`,
    '    *) break ;;',
    '  esac',
    'done',
    `exec ${quote(crunPath)} "$@"`,
    '',
  ].join('\n');
}

/** How conmon runs the runtime for `create`: a program, with arguments before the runtime's own. */
export interface CreateRuntime {
  path: string;
  args: string[];
}

/**
 * What conmon should run to create containers with `runtimePath`: the runtime itself, or, for
 * crun on a hybrid host whose v2 hierarchy holds controllers, a script in `stateDir`, run by
 * /bin/sh because the exec root may be mounted noexec (Ubuntu mounts /run so).
 */
export function createRuntimeFor(runtimePath: string, stateDir: string): CreateRuntime {
  if (!isCrun(runtimePath)) return { path: runtimePath, args: [] };
  const v2Mount = hybridV2WithControllers();
  if (!v2Mount) return { path: runtimePath, args: [] };
  const script = join(stateDir, 'crun-hybrid');
  writeFileSync(script, crunHybridScript(runtimePath, v2Mount), { mode: 0o644 });
  return { path: '/bin/sh', args: [script] };
}
