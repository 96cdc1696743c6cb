// Security settings read from inside real containers: the daemon's `no-new-privileges` default
// (dockerd's `--no-new-privileges` / `"no-new-privileges": true`) and what `--privileged` gives
// (the host's devices, every capability the daemon holds, no seccomp, no masked paths, rw /sys).
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';

let registry: TestRegistry;
/** Started with `"no-new-privileges": true` in its daemon.json. */
let strict: RunningBerthd;
let strictCli: DockerCli;
/** Started with the defaults. */
let plain: RunningBerthd;
let plainCli: DockerCli;
let image: string;

const noNewPrivs = async (cli: DockerCli, options: string[] = []) =>
  (
    await cli.ok(['run', '--rm', ...options, image, 'grep', 'NoNewPrivs', '/proc/self/status'])
  ).trim();

beforeAll(async () => {
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  image = `${registry.host}/berth-test/busybox:latest`;
  strict = await startBerthd({ config: { 'no-new-privileges': true } });
  strictCli = new DockerCli(strict.socket);
  plain = await startBerthd();
  plainCli = new DockerCli(plain.socket);
  await Promise.all([strictCli.ok(['pull', image]), plainCli.ok(['pull', image])]);
});

afterAll(async () => {
  for (const cli of [strictCli, plainCli]) {
    if (!cli) continue;
    const ids = (await cli.run(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await cli.run(['rm', '-f', ...ids]);
    cli.dispose();
  }
  await strict?.stop();
  await plain?.stop();
  await registry?.stop();
});

describe('daemon option no-new-privileges', () => {
  it('is the default for every container when set, and off when not', async () => {
    expect(await noNewPrivs(strictCli)).toBe('NoNewPrivs:\t1');
    expect(await noNewPrivs(plainCli)).toBe('NoNewPrivs:\t0');
    expect(await noNewPrivs(plainCli, ['--security-opt', 'no-new-privileges'])).toBe(
      'NoNewPrivs:\t1',
    );
  });

  it('a container opts out with --security-opt no-new-privileges=false, as with dockerd', async () => {
    expect(await noNewPrivs(strictCli, ['--security-opt', 'no-new-privileges=false'])).toBe(
      'NoNewPrivs:\t0',
    );
    expect(await noNewPrivs(strictCli, ['--security-opt', 'no-new-privileges:false'])).toBe(
      'NoNewPrivs:\t0',
    );
  });

  it('a privileged container is left without it unless it asks', async () => {
    expect(await noNewPrivs(strictCli, ['--privileged'])).toBe('NoNewPrivs:\t0');
    expect(
      await noNewPrivs(strictCli, ['--privileged', '--security-opt', 'no-new-privileges=true']),
    ).toBe('NoNewPrivs:\t1');
  });
});

/** Host char/block devices (not symlinks) directly under /dev, with their numbers as `stat -c %t:%T` prints them. */
function hostTopLevelDevices(): Map<string, string> {
  const devices = new Map<string, string>();
  for (const name of readdirSync('/dev')) {
    if (name === 'console' || name === 'ptmx') continue;
    const stats = lstatSync(join('/dev', name), { throwIfNoEntry: false });
    if (!stats || !(stats.isCharacterDevice() || stats.isBlockDevice())) continue;
    const rdev = BigInt(stats.rdev);
    const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xfffff000n);
    const minor = (rdev & 0xffn) | ((rdev >> 12n) & 0xffffff00n);
    devices.set(name, `${major.toString(16)}:${minor.toString(16)}`);
  }
  return devices;
}

describe('--privileged', () => {
  const script = [
    'for d in /dev/*; do [ ! -L "$d" ] && [ -c "$d" -o -b "$d" ] && echo "dev $(basename $d) $(stat -c %t:%T $d)"; done',
    'grep -E "^(CapEff|Seccomp):" /proc/self/status',
    'grep -E " /sys | /proc/keys " /proc/self/mountinfo | cut -d" " -f5,6',
  ].join('\n');

  it('gets the host devices in /dev, all capabilities, no seccomp or masking, rw /sys', async () => {
    const out = await plainCli.ok(['run', '--rm', '--privileged', image, 'sh', '-c', script]);
    const lines = out.split('\n');
    const inside = new Map(
      lines.filter((l) => l.startsWith('dev ')).map((l) => [l.split(' ')[1], l.split(' ')[2]]),
    );
    const host = hostTopLevelDevices();
    expect(host.size).toBeGreaterThan(5);
    for (const [name, numbers] of host) expect([name, inside.get(name)]).toEqual([name, numbers]);
    const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    expect(lines).toContain(`CapEff:\t${bounding?.[1]}`);
    expect(lines).toContain('Seccomp:\t0');
    const sysMount = lines.find((l) => l.startsWith('/sys '));
    expect(sysMount).toMatch(/^\/sys rw,/);
    expect(lines.some((l) => l.startsWith('/proc/keys '))).toBe(false);
  });

  it('an ordinary container sees only the default devices, masked paths (/proc/keys) and a read-only /sys', async () => {
    const out = await plainCli.ok(['run', '--rm', image, 'sh', '-c', script]);
    const lines = out.split('\n');
    const names = lines.filter((l) => l.startsWith('dev ')).map((l) => l.split(' ')[1]);
    expect(names.sort()).toEqual(['full', 'null', 'random', 'tty', 'urandom', 'zero']);
    expect(lines).toContain('Seccomp:\t2');
    expect(lines.find((l) => l.startsWith('/sys '))).toMatch(/^\/sys ro,/);
    expect(lines.some((l) => l.startsWith('/proc/keys '))).toBe(true);
  });
});
