// The Debian packages berthd needs at run time, each with a file that proves it is installed.
// `npm start` installs what is missing; `.ci/run` installs these plus the test-only ones.
import { existsSync } from 'node:fs';

export const runtimePackages = [
  { name: 'runc', provides: ['/usr/sbin/runc', '/usr/bin/runc'] },
  // The default runtime when installed: creates and execs start several times faster than runc's.
  { name: 'crun', provides: ['/usr/bin/crun'] },
  { name: 'conmon', provides: ['/usr/bin/conmon', '/usr/libexec/podman/conmon'] },
  { name: 'iproute2', provides: ['/usr/sbin/ip', '/sbin/ip', '/bin/ip'] },
  { name: 'iptables', provides: ['/usr/sbin/iptables', '/sbin/iptables'] },
  { name: 'tini', provides: ['/usr/bin/tini'] },
  { name: 'tar', provides: ['/usr/bin/tar', '/bin/tar'] },
  // Optional for berthd, used by bin/berthd when present: an idle daemon gives memory back.
  {
    name: 'libjemalloc2',
    provides: [
      '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
      '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
    ],
  },
];

export function missingPackages() {
  return runtimePackages
    .filter((pkg) => !pkg.provides.some((path) => existsSync(path)))
    .map((pkg) => pkg.name);
}
