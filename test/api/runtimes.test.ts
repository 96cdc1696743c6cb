// The two OCI runtimes berthd drives through conmon: crun, the default when installed, and runc.
// Both give a container the same isolation. crun's own ways are covered here: its exec fifo runs
// the other way, its `create` goes through a private mount namespace on hybrid cgroup hosts
// (which must leave the host's mounts alone), it applies `rro` without a `features` command, and
// its C error texts still give the CLI's exit codes 126 and 127. Both run from a read-only bind.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';

let registry: TestRegistry;
let crun: { berthd: RunningBerthd; cli: DockerCli };
let runc: { berthd: RunningBerthd; cli: DockerCli };
let image: string;
let scratch: string;
let subMount: string;

async function engine(args: string[]) {
  const berthd = await startBerthd({ args });
  const cli = new DockerCli(berthd.socket);
  await cli.ok(['pull', image]);
  return { berthd, cli };
}

const cgroupMounts = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4])
    .sort();

beforeAll(async () => {
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  image = `${registry.host}/berth-test/busybox:latest`;
  [crun, runc] = await Promise.all([engine([]), engine(['--default-runtime', 'runc'])]);
  scratch = mkdtempSync(join(tmpdir(), 'berth-runtimes-'));
  subMount = join(scratch, 'sub');
  mkdirSync(subMount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', subMount]);
});

afterAll(async () => {
  for (const { berthd, cli } of [crun, runc].filter(Boolean)) {
    const ids = (await cli.run(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await cli.run(['rm', '-f', ...ids]);
    await berthd.stop();
    cli.dispose();
  }
  await registry?.stop();
  if (subMount) execFileSync('umount', [subMount]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('crun and runc', () => {
  it('runs crun by default and runc when asked, with the same isolation', async () => {
    const mountsBefore = cgroupMounts();
    const isolation = 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status; hostname';
    const seen: string[] = [];
    for (const [name, { cli }] of [
      ['crun', crun],
      ['runc', runc],
    ] as const) {
      expect((await cli.ok(['info', '--format', '{{.DefaultRuntime}}'])).trim()).toBe(name);
      seen.push(await cli.ok(['run', '--rm', '--hostname', 'iso', image, 'sh', '-c', isolation]));
    }
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]).toMatch(/CapEff:\s+00000000a80425fb\nNoNewPrivs:\s+0\nSeccomp:\s+2\niso\n/);
    // Each runs its runtime from a read-only bind (no self-copy per call); nothing of it leaks in.
    const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    expect(mountinfo).toContain(` ${crun.berthd.execRoot}/bin/crun ro,`);
    expect(mountinfo).toContain(` ${runc.berthd.execRoot}/bin/runc ro,`);
    expect(await crun.cli.ok(['run', '--rm', image, 'env'])).not.toContain('CLONED_BINARY');
    // One runtime per daemon: another one by name is refused, not silently swapped.
    const other = await crun.cli.run(['run', '--rm', '--runtime', 'runc', image, 'true']);
    expect(other.code).toBe(125);
    expect(other.stderr).toContain('unknown or invalid runtime name: runc');
    await crun.cli.ok(['create', '--name', 'rt-default', image, 'true']);
    expect(
      (await crun.cli.ok(['inspect', '-f', '{{.HostConfig.Runtime}}', 'rt-default'])).trim(),
    ).toBe('crun');
    await crun.cli.ok(['rm', 'rt-default']);
    // crun's create unmounted the v2 hierarchy in a namespace of its own, not on the host.
    expect(cgroupMounts()).toEqual(mountsBefore);
  });

  it('makes -v :ro binds recursively read-only with crun', async () => {
    const writes = 'touch /data/top 2>/dev/null; a=$?; touch /data/sub/x 2>/dev/null; b=$?';
    const result = await crun.cli.run([
      'run', '--rm', '-v', `${scratch}:/data:ro`, image, 'sh', '-c', `${writes}; exit $((a * 10 + b))`,
    ]); // prettier-ignore
    expect(result.code).toBe(11);
  });

  it("gives crun's failures the CLI's exit codes: 127 for a missing binary, 126 for a file", async () => {
    const missing = await crun.cli.run(['run', '--rm', image, '/no/such/binary']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/no such file or directory/);
    const notExecutable = await crun.cli.run(['run', '--rm', image, '/etc/passwd']);
    expect(notExecutable.code).toBe(126);
    expect(notExecutable.stderr).toMatch(/permission denied/);
    expect((await crun.cli.run(['ps', '-aq'])).stdout).toBe('');
  });

  it('starts, execs, pauses and stops crun containers, and adopts them after a crash', async () => {
    const { berthd, cli } = crun;
    await cli.ok(['run', '-d', '--name', 'crun-live', image, 'sleep', '300']);
    await cli.ok(['run', '-d', '--name', 'crun-short', image, 'sh', '-c', 'sleep 2; exit 7']);
    expect((await cli.run(['exec', 'crun-live', 'sh', '-c', 'exit 3'])).code).toBe(3);
    await cli.ok(['pause', 'crun-live']);
    expect((await cli.ok(['inspect', '-f', '{{.State.Status}}', 'crun-live'])).trim()).toBe(
      'paused',
    );
    await cli.ok(['unpause', 'crun-live']);
    // A crash while both run; crun-short exits while berthd is down.
    await berthd.kill9();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await berthd.restart();
    const states = await cli.ok([
      'inspect', '-f', '{{.Name}} {{.State.Status}} {{.State.ExitCode}}', 'crun-live', 'crun-short',
    ]); // prettier-ignore
    expect(states.trim().split('\n')).toEqual(['/crun-live running 0', '/crun-short exited 7']);
    expect((await cli.ok(['exec', 'crun-live', 'echo', 'still here'])).trim()).toBe('still here');
    await cli.ok(['stop', '-t', '1', 'crun-live']);
    await cli.ok(['start', 'crun-live']);
    expect((await cli.ok(['inspect', '-f', '{{.State.Running}}', 'crun-live'])).trim()).toBe(
      'true',
    );
    await cli.ok(['rm', '-f', 'crun-live', 'crun-short']);
  });
});
