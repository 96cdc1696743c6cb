import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../errors';
import { buildSpec, maskedPaths, processEnv, readonlyPaths, type SpecInput } from './build-spec';
import { defaultCapabilities } from './capabilities';

function input(overrides: Partial<SpecInput> = {}): SpecInput {
  return {
    id: 'c'.repeat(64),
    config: { Env: ['FOO=bar'], WorkingDir: '/work', Tty: false },
    hostConfig: {},
    argv: ['/bin/sh', '-c', 'true'],
    user: { uid: 0, gid: 0, additionalGids: [10], home: '/root' },
    rootfsPath: '/run/berth/containers/c/rootfs',
    hostname: 'cccccccccccc',
    hostsPath: '/data/hosts',
    resolvConfPath: '/data/resolv.conf',
    hostnamePath: '/data/hostname',
    network: { kind: 'isolated' },
    initBinaryPath: '/usr/bin/tini-static',
    noNewPrivilegesByDefault: false,
    arch: 'x64',
    ...overrides,
  };
}

const mountAt = (spec: ReturnType<typeof buildSpec>, destination: string) =>
  spec.mounts.find((m) => m.destination === destination);

describe('buildSpec defaults', () => {
  const spec = buildSpec(input());

  it('isolates pid, mount, uts, ipc and network namespaces', () => {
    expect(spec.linux.namespaces.map((n) => n.type).sort()).toEqual([
      'ipc',
      'mount',
      'network',
      'pid',
      'uts',
    ]);
  });

  it("gives Docker's default capabilities in every set", () => {
    expect(spec.process.capabilities?.bounding).toEqual(defaultCapabilities);
    expect(spec.process.capabilities?.effective).toEqual(defaultCapabilities);
    expect(spec.process.capabilities?.permitted).toEqual(defaultCapabilities);
  });

  it('masks and read-only-mounts the paths Docker does', () => {
    expect(spec.linux.maskedPaths).toEqual(maskedPaths);
    expect(spec.linux.readonlyPaths).toEqual(readonlyPaths);
    expect(spec.linux.maskedPaths).toContain('/proc/kcore');
    expect(spec.linux.readonlyPaths).toContain('/proc/sys');
  });

  it('applies a seccomp allowlist that fails everything else with EPERM', () => {
    expect(spec.linux.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(spec.linux.seccomp?.defaultErrnoRet).toBe(1);
    const allowed = spec.linux.seccomp?.syscalls[0]?.names ?? [];
    expect(allowed).toContain('read');
    expect(allowed).not.toContain('mount');
    expect(allowed).not.toContain('kexec_load');
  });

  it('puts the process in /berth/<id> with devices denied by default', () => {
    expect(spec.linux.cgroupsPath).toBe(`/berth/${'c'.repeat(64)}`);
    expect(spec.linux.resources?.devices).toEqual([{ allow: false, access: 'rwm' }]);
  });

  it('passes HostConfig.Annotations to the runtime, keeping its own id annotation', () => {
    const annotated = buildSpec(
      input({
        hostConfig: {
          Annotations: { 'com.example.team': 'web', 'org.berth.container.id': 'forged', n: 1 },
        },
      }),
    );
    expect(annotated.annotations).toEqual({
      'com.example.team': 'web',
      'org.berth.container.id': 'c'.repeat(64),
    });
  });

  it('mounts the generated host files and a 64 MiB /dev/shm', () => {
    expect(mountAt(spec, '/etc/hosts')?.source).toBe('/data/hosts');
    expect(mountAt(spec, '/etc/resolv.conf')?.source).toBe('/data/resolv.conf');
    expect(mountAt(spec, '/etc/hostname')?.source).toBe('/data/hostname');
    expect(mountAt(spec, '/dev/shm')?.options).toContain(`size=${64 * 1024 * 1024}`);
    expect(mountAt(spec, '/sys')?.options).toContain('ro');
  });

  it('runs the command as the resolved user in the working dir with Docker env additions', () => {
    expect(spec.process.args).toEqual(['/bin/sh', '-c', 'true']);
    expect(spec.process.user).toEqual({ uid: 0, gid: 0, additionalGids: [10] });
    expect(spec.process.cwd).toBe('/work');
    expect(spec.process.env).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'FOO=bar',
      'HOSTNAME=cccccccccccc',
      'HOME=/root',
    ]);
    expect(spec.hostname).toBe('cccccccccccc');
    expect(spec.process.noNewPrivileges).toBe(false);
    expect(spec.root).toEqual({ path: '/run/berth/containers/c/rootfs', readonly: false });
  });
});

describe('buildSpec options', () => {
  it('privileged: all capabilities, no seccomp or masking, all devices', () => {
    const spec = buildSpec(input({ hostConfig: { Privileged: true } }));
    expect(spec.process.capabilities?.effective).toContain('CAP_SYS_ADMIN');
    expect(spec.linux.seccomp).toBeUndefined();
    expect(spec.linux.maskedPaths).toBeUndefined();
    expect(spec.linux.resources?.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(mountAt(spec, '/sys')?.options).toContain('rw');
  });

  it('privileged containers get the host devices they are given; others never do', () => {
    const loop0 = { path: '/dev/loop0', type: 'b' as const, major: 7, minor: 0, fileMode: 0o600 };
    const privileged = buildSpec(input({ hostConfig: { Privileged: true }, hostDevices: [loop0] }));
    expect(privileged.linux.devices).toEqual([loop0]);
    const ordinary = buildSpec(input({ hostDevices: [loop0] }));
    expect(ordinary.linux.devices).toBeUndefined();
  });

  it('cap-add/cap-drop change the set and what seccomp allows', () => {
    const spec = buildSpec(input({ hostConfig: { CapAdd: ['sys_admin'], CapDrop: ['NET_RAW'] } }));
    expect(spec.process.capabilities?.effective).toContain('CAP_SYS_ADMIN');
    expect(spec.process.capabilities?.effective).not.toContain('CAP_NET_RAW');
    expect(spec.linux.seccomp?.syscalls[0]?.names).toContain('mount');
  });

  it('rejects an unknown capability', () => {
    expect(() => buildSpec(input({ hostConfig: { CapAdd: ['CAP_FLY'] } }))).toThrow(
      InvalidArgumentError,
    );
  });

  it('read-only rootfs, no-new-privileges and seccomp=unconfined', () => {
    const spec = buildSpec(
      input({
        hostConfig: {
          ReadonlyRootfs: true,
          SecurityOpt: ['no-new-privileges', 'seccomp=unconfined'],
        },
      }),
    );
    expect(spec.root.readonly).toBe(true);
    expect(spec.process.noNewPrivileges).toBe(true);
    expect(spec.linux.seccomp).toBeUndefined();
  });

  it('the daemon default for no-new-privileges can be overridden per container', () => {
    expect(buildSpec(input({ noNewPrivilegesByDefault: true })).process.noNewPrivileges).toBe(true);
    const optedOut = buildSpec(
      input({
        noNewPrivilegesByDefault: true,
        hostConfig: { SecurityOpt: ['no-new-privileges=false'] },
      }),
    );
    expect(optedOut.process.noNewPrivileges).toBe(false);
  });

  it('rejects unknown security options', () => {
    expect(() => buildSpec(input({ hostConfig: { SecurityOpt: ['bogus=1'] } }))).toThrow(
      /security-opt/,
    );
  });

  it('--init bind-mounts tini and runs the command under it', () => {
    const spec = buildSpec(input({ hostConfig: { Init: true } }));
    expect(spec.process.args).toEqual(['/sbin/docker-init', '--', '/bin/sh', '-c', 'true']);
    expect(mountAt(spec, '/sbin/docker-init')).toMatchObject({
      source: '/usr/bin/tini-static',
      type: 'bind',
    });
  });

  it('host network shares the namespace; a path joins one', () => {
    const host = buildSpec(input({ network: { kind: 'host' } }));
    expect(host.linux.namespaces.some((n) => n.type === 'network')).toBe(false);
    const joined = buildSpec(input({ network: { kind: 'path', path: '/proc/42/ns/net' } }));
    expect(joined.linux.namespaces).toContainEqual({ type: 'network', path: '/proc/42/ns/net' });
  });

  it('resource limits land in the cgroup section', () => {
    const spec = buildSpec(
      input({
        hostConfig: {
          Memory: 64 * 1024 * 1024,
          NanoCpus: 500_000_000,
          CpuShares: 512,
          CpusetCpus: '0',
          PidsLimit: 50,
        },
      }),
    );
    expect(spec.linux.resources).toMatchObject({
      memory: { limit: 64 * 1024 * 1024, swap: 128 * 1024 * 1024 },
      cpu: { quota: 50_000, period: 100_000, shares: 512, cpus: '0' },
      pids: { limit: 50 },
    });
  });

  it('tmpfs, binds, shm-size and ulimits', () => {
    const spec = buildSpec(
      input({
        hostConfig: {
          Tmpfs: { '/run': 'size=1m,exec' },
          Binds: ['/srv/data:/data:ro'],
          ShmSize: 1024 * 1024,
          Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
        },
      }),
    );
    expect(mountAt(spec, '/run')).toEqual({
      destination: '/run',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'size=1m', 'exec'],
    });
    expect(mountAt(spec, '/data')).toEqual({
      destination: '/data',
      type: 'bind',
      source: '/srv/data',
      options: ['rbind', 'rprivate', 'ro'],
    });
    expect(mountAt(spec, '/dev/shm')?.options).toContain('size=1048576');
    expect(spec.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }]);
  });

  it('a user mount over /etc/hosts replaces the generated one', () => {
    const spec = buildSpec(input({ hostConfig: { Binds: ['/srv/hosts:/etc/hosts'] } }));
    expect(spec.mounts.filter((m) => m.destination === '/etc/hosts')).toHaveLength(1);
    expect(mountAt(spec, '/etc/hosts')?.source).toBe('/srv/hosts');
  });

  it('tty sets terminal, TERM and the console size', () => {
    const spec = buildSpec(
      input({ config: { Tty: true }, hostConfig: { ConsoleSize: [40, 120] } }),
    );
    expect(spec.process.terminal).toBe(true);
    expect(spec.process.consoleSize).toEqual({ height: 40, width: 120 });
    expect(spec.process.env).toContain('TERM=xterm');
  });

  it('namespaced sysctls pass, host ones are refused', () => {
    const spec = buildSpec(input({ hostConfig: { Sysctls: { 'net.ipv4.ip_forward': '1' } } }));
    expect(spec.linux.sysctl).toEqual({ 'net.ipv4.ip_forward': '1' });
    expect(() => buildSpec(input({ hostConfig: { Sysctls: { 'vm.swappiness': '1' } } }))).toThrow(
      /not allowed/,
    );
  });
});

describe('processEnv', () => {
  it('keeps user PATH/HOME/HOSTNAME', () => {
    expect(processEnv(['PATH=/x', 'HOME=/h', 'HOSTNAME=n'], 'other', '/root', false)).toEqual([
      'PATH=/x',
      'HOME=/h',
      'HOSTNAME=n',
    ]);
  });
});
