import { describe, expect, it } from 'vitest';
import { mountArgs, validateLocalOptions } from './local-driver';

describe('local volume driver options', () => {
  it('accepts plain, tmpfs and bind-style options', () => {
    expect(validateLocalOptions({})).toBe(false);
    expect(validateLocalOptions({ type: 'tmpfs', device: 'tmpfs', o: 'size=10m' })).toBe(true);
    expect(mountArgs({ type: 'tmpfs', device: 'tmpfs', o: 'size=10m' }, '/v/_data')).toEqual([
      '-t',
      'tmpfs',
      '-o',
      'size=10m',
      'tmpfs',
      '/v/_data',
    ]);
    expect(mountArgs({ type: 'none', device: '/srv', o: 'bind' }, '/v/_data')).toEqual([
      '-t',
      'none',
      '-o',
      'bind',
      '/srv',
      '/v/_data',
    ]);
    expect(mountArgs({ type: 'none', device: '/srv' }, '/v')).toEqual([
      '-t',
      'none',
      '-o',
      'bind',
      '/srv',
      '/v',
    ]);
  });

  it('rejects unknown keys and half-configured mounts', () => {
    expect(() => validateLocalOptions({ colour: 'red' })).toThrow('invalid option key: "colour"');
    expect(() => validateLocalOptions({ type: 'tmpfs' })).toThrow(
      'missing required option: "device"',
    );
    expect(() => validateLocalOptions({ device: '/x' })).toThrow('missing required option: "type"');
    expect(() => validateLocalOptions({ o: 'size=1m' })).toThrow('need "type" and "device"');
    expect(() => validateLocalOptions({ size: '1G' })).toThrow('quota');
  });
});
