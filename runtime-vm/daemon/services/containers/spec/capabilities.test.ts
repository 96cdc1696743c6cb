import { describe, expect, it } from 'vitest';
import {
  allCapabilities,
  capabilitiesFromMask,
  defaultCapabilities,
  normalizeCapability,
  resolveCapabilities,
} from './capabilities';

describe('capabilities', () => {
  it('normalizes the spellings the CLI accepts', () => {
    expect(normalizeCapability('net_admin')).toBe('CAP_NET_ADMIN');
    expect(normalizeCapability('CAP_NET_ADMIN')).toBe('CAP_NET_ADMIN');
    expect(normalizeCapability('all')).toBe('ALL');
    expect(() => normalizeCapability('FLY')).toThrow('unknown capability: "FLY"');
  });

  it('defaults to the 14 Docker capabilities', () => {
    expect(resolveCapabilities({})).toEqual(defaultCapabilities);
    expect(defaultCapabilities).toHaveLength(14);
  });

  it('drop ALL then add one leaves only that one', () => {
    expect(resolveCapabilities({ capDrop: ['ALL'], capAdd: ['CHOWN'] })).toEqual(['CAP_CHOWN']);
  });

  it('add ALL gives every capability; privileged too', () => {
    expect(resolveCapabilities({ capAdd: ['ALL'] })).toHaveLength(allCapabilities.length);
    expect(resolveCapabilities({ privileged: true, capDrop: ['ALL'] })).toHaveLength(
      allCapabilities.length,
    );
  });

  it('ALL and privileged are limited to what the daemon holds', () => {
    const available = capabilitiesFromMask('000001fffeffffff');
    expect(available).not.toContain('CAP_SYS_RESOURCE');
    expect(available).toContain('CAP_CHECKPOINT_RESTORE');
    expect(available).toHaveLength(allCapabilities.length - 1);
    expect(resolveCapabilities({ privileged: true, available })).toEqual(available);
    expect(resolveCapabilities({ capAdd: ['ALL'], available })).toEqual(available);
    expect(capabilitiesFromMask('5')).toEqual(['CAP_CHOWN', 'CAP_DAC_READ_SEARCH']);
  });

  it('rejects adding and dropping the same capability', () => {
    expect(() => resolveCapabilities({ capAdd: ['NET_ADMIN'], capDrop: ['net_admin'] })).toThrow(
      /both added and dropped/,
    );
  });
});
