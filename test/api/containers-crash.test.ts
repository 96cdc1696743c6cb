// Crash safety of `docker start`: berthd is killed with SIGKILL exactly around the moment the
// container's process is let go, deterministically, by running containers through a runc wrapper
// (berthd's `runtimes` / `default-runtime` settings, as in dockerd's daemon.json).
// After the restart, a container whose process ran is adopted, one whose process never ran is
// back to `created`, and nothing is left half-made (runc state, rootfs mounts, records).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';

let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let image: string;
let wrapperDir: string;

/**
 * When armed, the wrapper hides the exec fifo of the container it creates, so berthd's in-process
 * start finds none and falls back to `runc start` through the wrapper, which puts the fifo back
 * and kills berthd either before starting the container or right after. The mode is consumed.
 */
const wrapperScript = (armFile: string) => `#!/bin/sh
root=; last=
for arg in "$@"; do
  case "$arg" in --root=*) root=\${arg#--root=} ;; esac
  last=$arg
done
if [ -f ${armFile} ]; then
  case " $* " in
  *" create "*)
    /usr/sbin/runc "$@" || exit $?
    mv "$root/$last/exec.fifo" "$root/$last/exec.fifo.held"
    exit 0 ;;
  *" start "*)
    mode=$(cat ${armFile}); rm -f ${armFile}
    mv "$root/$last/exec.fifo.held" "$root/$last/exec.fifo"
    if [ "$mode" = before ]; then kill -9 $PPID; exit 1; fi
    /usr/sbin/runc "$@"; status=$?; kill -9 $PPID; exit $status ;;
  esac
fi
exec /usr/sbin/runc "$@"
`;

function arm(mode: 'before' | 'after'): void {
  writeFileSync(join(wrapperDir, 'arm'), mode);
}

function runcIds(): string[] {
  const out = execFileSync('/usr/sbin/runc', [
    `--root=${join(berthd.execRoot, 'runc')}`,
    'list',
    '-q',
  ]);
  return out.toString().split('\n').filter(Boolean);
}

function rootfsMounted(id: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').includes(
    ` ${join(berthd.execRoot, 'containers', id, 'rootfs')} `,
  );
}

async function inspect(ref: string): Promise<{ Id: string; State: Record<string, unknown> }> {
  return JSON.parse(await cli.ok(['inspect', ref]))[0];
}

/** `docker start` whose daemon dies under it; then a fresh daemon on the same state. */
async function startThroughCrash(ref: string): Promise<void> {
  const attempt = await cli.run(['start', ref]);
  expect(attempt.code).not.toBe(0);
  await berthd.kill9();
  expect(existsSync(join(wrapperDir, 'arm'))).toBe(false);
  await berthd.restart();
}

beforeAll(async () => {
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  wrapperDir = mkdtempSync(join(tmpdir(), 'berth-runc-wrapper-'));
  const wrapper = join(wrapperDir, 'runc');
  writeFileSync(wrapper, wrapperScript(join(wrapperDir, 'arm')));
  chmodSync(wrapper, 0o755);
  berthd = await startBerthd({
    config: { runtimes: { wrapped: { path: wrapper } }, 'default-runtime': 'wrapped' },
  });
  cli = new DockerCli(berthd.socket);
  image = `${registry.host}/berth-test/busybox:latest`;
  await cli.ok(['pull', image]);
});

afterAll(async () => {
  if (cli && berthd) {
    const ids = (await cli.run(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await cli.run(['rm', '-f', ...ids]);
  }
  await berthd?.stop();
  cli?.dispose();
  await registry?.stop();
  if (wrapperDir) rmSync(wrapperDir, { recursive: true, force: true });
});

describe('SIGKILL of berthd around runc start', () => {
  it('right after runc start: the new daemon adopts the running container', async () => {
    const id = (await cli.ok(['create', '--name', 'ran', image, 'sleep', '300'])).trim();
    arm('after');
    await startThroughCrash('ran');
    const state = (await inspect('ran')).State;
    expect(state).toMatchObject({ Status: 'running', Running: true });
    const pid = state['Pid'] as number;
    expect(pid).toBeGreaterThan(0);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).toBe('sleep');
    expect(runcIds()).toContain(id);
    // Adopted for real: its exit is seen, recorded and cleaned up by the new daemon.
    await cli.ok(['kill', 'ran']);
    expect((await cli.ok(['wait', 'ran'])).trim()).toBe('137');
    expect(runcIds()).not.toContain(id);
    expect(rootfsMounted(id)).toBe(false);
    await cli.ok(['rm', 'ran']);
  });

  it('killed by the container itself as it starts (in-process start): adopted too', async () => {
    // --pid host lets the entrypoint see berthd: the crash comes the moment the process runs.
    const id = (
      await cli.ok([
        'create',
        '--name',
        'killer',
        '--pid',
        'host',
        '-e',
        `BERTHD=${berthd.pid}`,
        image,
        'sh',
        '-c',
        'kill -9 $BERTHD; exec sleep 300',
      ])
    ).trim();
    // Whether the reply beat the kill does not matter: the process ran, berthd died after.
    await cli.run(['start', 'killer']);
    await berthd.kill9();
    await berthd.restart();
    const state = (await inspect('killer')).State;
    expect(state).toMatchObject({ Status: 'running', Running: true });
    expect(readFileSync(`/proc/${state['Pid'] as number}/cmdline`, 'utf8')).toBe(
      'sleep\x00300\x00',
    );
    expect(runcIds()).toContain(id);
    await cli.ok(['rm', '-f', 'killer']);
    expect(runcIds()).not.toContain(id);
  });

  it('between the write-ahead save and runc start: the start is rolled back', async () => {
    const id = (await cli.ok(['create', '--name', 'never', image, 'sh', '-c', 'echo hi'])).trim();
    arm('before');
    await startThroughCrash('never');
    expect((await inspect('never')).State).toMatchObject({
      Status: 'created',
      Running: false,
      Pid: 0,
      StartedAt: '0001-01-01T00:00:00Z',
    });
    expect(runcIds()).not.toContain(id);
    expect(rootfsMounted(id)).toBe(false);
    expect(berthd.containerOutput(id)).toBe('');
    // Nothing half-made stands in the way of a normal start afterwards.
    await cli.ok(['start', 'never']);
    expect((await cli.ok(['wait', 'never'])).trim()).toBe('0');
    expect(berthd.containerOutput(id)).toBe('hi');
    await cli.ok(['rm', 'never']);
  });

  it('a `--rm` container whose start was rolled back is removed, like dockerd does', async () => {
    const id = (await cli.ok(['create', '--rm', '--name', 'gone', image, 'true'])).trim();
    arm('before');
    await startThroughCrash('gone');
    expect((await cli.run(['inspect', 'gone'])).stderr).toContain('No such object: gone');
    expect(existsSync(join(berthd.dataRoot, 'containers', id))).toBe(false);
    expect(existsSync(join(berthd.execRoot, 'containers', id))).toBe(false);
    expect(runcIds()).not.toContain(id);
  });

  it('a restarted container that was exited goes back to exited with its old exit code', async () => {
    const id = (await cli.ok(['run', '-d', '--name', 'again', image, 'sh', '-c', 'exit 3'])).trim();
    expect((await cli.ok(['wait', 'again'])).trim()).toBe('3');
    const before = (await inspect('again')).State;
    arm('before');
    await startThroughCrash('again');
    expect((await inspect('again')).State).toMatchObject({
      Status: 'exited',
      Running: false,
      ExitCode: 3,
      StartedAt: before['StartedAt'],
    });
    expect(runcIds()).not.toContain(id);
    await cli.ok(['rm', 'again']);
  });
});

describe('SIGKILL of berthd during a removal', () => {
  // An auto-removal forgets the record, answers its waiters, then unmounts and deletes in the
  // background. A crash in that window leaves a bundle, a mount, runc state and a network
  // namespace with no record: the crash is reproduced by deleting the record of a running
  // container while berthd is dead.
  it('the next daemon removes what a record-less container left', async () => {
    const id = (await cli.ok(['run', '-d', '--name', 'orphan', image, 'sleep', '300'])).trim();
    const namespaces = () => execFileSync('ip', ['netns', 'list']).toString();
    expect(namespaces()).toContain(id.slice(0, 12));
    expect(rootfsMounted(id)).toBe(true);
    await berthd.kill9();
    rmSync(join(berthd.dataRoot, 'containers', id, 'config.v2.json'));
    await berthd.restart();
    expect((await cli.ok(['ps', '-aq'])).trim()).toBe('');
    expect(rootfsMounted(id)).toBe(false);
    expect(existsSync(join(berthd.execRoot, 'containers', id))).toBe(false);
    expect(existsSync(join(berthd.dataRoot, 'containers', id))).toBe(false);
    expect(runcIds()).not.toContain(id);
    expect(namespaces()).not.toContain(id.slice(0, 12));
    // The name is free again.
    await cli.ok(['create', '--name', 'orphan', image, 'true']);
    await cli.ok(['rm', 'orphan']);
  });
});
