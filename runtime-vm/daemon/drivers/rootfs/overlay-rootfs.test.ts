import { describe, expect, it } from 'vitest';
import { overlayOptions, parseMountPoints, rootfsLayout } from './overlay-rootfs';

describe('overlayOptions', () => {
  const layout = rootfsLayout('/data/containers/abc');

  it('lists the top layer first', () => {
    expect(overlayOptions(['/layers/base', '/layers/top'], layout)).toBe(
      'lowerdir=/layers/top:/layers/base,upperdir=/data/containers/abc/diff,workdir=/data/containers/abc/work',
    );
  });

  it('an image without layers gets an empty lower dir', () => {
    expect(overlayOptions([], layout)).toContain('lowerdir=/data/containers/abc/empty,');
  });

  it('refuses separators in paths and option strings over a page', () => {
    expect(() => overlayOptions(['/a:b'], layout)).toThrow("contains ',' or ':'");
    const many = Array.from(
      { length: 200 },
      (_, i) => `/var/lib/berth/layers/${'x'.repeat(20)}${i}`,
    );
    expect(() => overlayOptions(many, layout)).toThrow('too many layers');
  });
});

describe('parseMountPoints', () => {
  it('reads field 5 and decodes octal escapes', () => {
    const info = [
      '22 1 0:21 / / rw,relatime - ext4 /dev/root rw',
      '99 22 0:50 / /run/with\\040space rw - overlay overlay rw',
    ].join('\n');
    expect([...parseMountPoints(info)]).toEqual(['/', '/run/with space']);
  });
});
