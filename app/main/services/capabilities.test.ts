import { describe, expect, it } from 'vitest';
import { decodeCapabilityMask, parseNetDev, parseProcStatus } from './capabilities';

describe('decodeCapabilityMask', () => {
  it("decodes docker's default capability set", () => {
    expect(decodeCapabilityMask('00000000a80425fb')).toEqual([
      'CHOWN',
      'DAC_OVERRIDE',
      'FOWNER',
      'FSETID',
      'KILL',
      'SETGID',
      'SETUID',
      'SETPCAP',
      'NET_BIND_SERVICE',
      'NET_RAW',
      'SYS_CHROOT',
      'MKNOD',
      'AUDIT_WRITE',
      'SETFCAP',
    ]);
  });

  it('decodes an empty mask (cap-drop ALL) and a full one', () => {
    expect(decodeCapabilityMask('0000000000000000')).toEqual([]);
    const all = decodeCapabilityMask('000001ffffffffff');
    expect(all).toHaveLength(41);
    expect(all).toContain('SYS_ADMIN');
    expect(all.at(-1)).toBe('CHECKPOINT_RESTORE');
  });

  it('names unknown bits and rejects garbage', () => {
    expect(decodeCapabilityMask('8000000000000000')).toEqual(['CAP_63']);
    expect(() => decodeCapabilityMask('xyz')).toThrow(/not a capability mask/);
  });
});

describe('/proc parsers', () => {
  it('reads status fields and interface names', () => {
    const status = parseProcStatus(
      'Name:\tsleep\nUid:\t0\t0\t0\t0\nCapEff:\t0000000000000000\nSeccomp:\t2\n',
    );
    expect(status).toMatchObject({ Name: 'sleep', CapEff: '0000000000000000', Seccomp: '2' });
    const dev = 'Inter-|   Receive\n face |bytes packets\n    lo:  0 0 0\n  eth0: 1 2 3\n';
    expect(parseNetDev(dev)).toEqual(['lo', 'eth0']);
  });
});
