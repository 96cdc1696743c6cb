import { describe, expect, it } from 'vitest';
import { defaultSeccompProfile } from './seccomp';

describe('defaultSeccompProfile', () => {
  it('denies namespace creation and mounting without CAP_SYS_ADMIN', () => {
    const profile = defaultSeccompProfile(['CAP_CHOWN'], 'x64');
    const allowed = profile.syscalls[0]?.names ?? [];
    for (const name of ['mount', 'unshare', 'setns', 'reboot', 'init_module', 'bpf']) {
      expect(allowed).not.toContain(name);
    }
    expect(allowed).toContain('arch_prctl');
    const clone = profile.syscalls.find((s) => s.names.includes('clone'));
    expect(clone?.args?.[0]).toMatchObject({
      index: 0,
      value: 0x7e020000,
      op: 'SCMP_CMP_MASKED_EQ',
    });
    expect(profile.syscalls.find((s) => s.names.includes('clone3'))).toMatchObject({
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 38,
    });
    expect(profile.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  });

  it('capabilities unlock their syscalls', () => {
    const allowed =
      defaultSeccompProfile(['CAP_SYS_ADMIN', 'CAP_SYS_TIME'], 'arm64').syscalls[0]?.names ?? [];
    expect(allowed).toEqual(expect.arrayContaining(['mount', 'unshare', 'clock_settime', 'clone']));
    expect(allowed).not.toContain('arch_prctl');
  });

  it('only allows known personalities', () => {
    const personalities = defaultSeccompProfile([], 'x64').syscalls.filter((s) =>
      s.names.includes('personality'),
    );
    expect(personalities.map((s) => s.args?.[0]?.value)).toEqual([
      0, 8, 0x20000, 0x20008, 0xffffffff,
    ]);
  });
});
