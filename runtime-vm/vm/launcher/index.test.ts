import { describe, expect, it } from 'vitest';
import { defaultDriver } from './index';

describe('defaultDriver', () => {
  it('picks the platform hypervisor, and QEMU when asked', () => {
    expect(defaultDriver('darwin', undefined).kind).toBe('vfkit');
    expect(defaultDriver('win32', undefined).kind).toBe('wsl2');
    expect(defaultDriver('linux', undefined).kind).toBe('qemu');
    expect(defaultDriver('darwin', 'qemu').kind).toBe('qemu');
    expect(() => defaultDriver('linux', 'hyperkit')).toThrow(
      /hyperkit: expected qemu, vfkit or wsl2/,
    );
  });
});
