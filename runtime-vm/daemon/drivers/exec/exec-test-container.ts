// Test support for the exec launchers: a busybox container created with real conmon and runc (or
// crun), sleeping, to exec into. Needs root.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConmonRuncDriver } from '../runtime/conmon-runc-driver';
import type { ExecProcessSpec } from './exec-launch';

export const processSpec = (args: string[], terminal = false): ExecProcessSpec => ({
  terminal,
  user: { uid: 0, gid: 0 },
  args,
  env: ['PATH=/bin', 'TERM=xterm'],
  cwd: '/',
});

export interface ExecTestContainer {
  id: string;
  runtimePath: string;
  /** The runtime's --root. */
  runtimeRoot: string;
  /** conmon's socket dir. */
  socketDir: string;
  /** A fresh folder per call, as the exec service gives each exec. */
  sessionDir(): string;
  remove(): Promise<void>;
}

export async function startExecTestContainer(
  name: string,
  runtimePath = '/usr/sbin/runc',
): Promise<ExecTestContainer> {
  const root = mkdtempSync(join(tmpdir(), 'berth-exec-'));
  const stateDir = join(root, 's');
  const bundleDir = join(root, 'bundle');
  const rootfs = join(bundleDir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  for (const dir of ['proc', 'sys', 'dev', 'tmp']) mkdirSync(join(rootfs, dir));
  cpSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const applet of ['sh', 'sleep', 'echo', 'cat', 'stty', 'kill'])
    symlinkSync('busybox', join(rootfs, 'bin', applet));
  execFileSync('runc', ['spec'], { cwd: bundleDir });
  const config = JSON.parse(readFileSync(join(bundleDir, 'config.json'), 'utf8'));
  config.process.terminal = false;
  config.process.args = ['sleep', '300'];
  config.linux.namespaces = config.linux.namespaces.filter(
    (ns: { type: string }) => ns.type !== 'network',
  );
  writeFileSync(join(bundleDir, 'config.json'), JSON.stringify(config));
  const runtime = new ConmonRuncDriver({ stateDir, runcPath: runtimePath });
  const id = `${name}${process.pid}`;
  await runtime.create({
    id,
    bundleDir,
    logPath: join(bundleDir, 'ctr.log'),
    tty: false,
    openStdin: false,
  });
  await runtime.start(id);
  let sessions = 0;
  return {
    id,
    runtimePath,
    runtimeRoot: join(stateDir, 'runc'),
    socketDir: join(stateDir, 's'),
    sessionDir: () => {
      const dir = join(root, `exec${++sessions}`);
      mkdirSync(dir);
      return dir;
    },
    async remove() {
      await runtime.delete(id, { force: true }).catch(() => undefined);
      runtime.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
