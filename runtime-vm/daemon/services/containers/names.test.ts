import { describe, expect, it } from 'vitest';
import { generateName, normalizeName } from './names';

describe('container names', () => {
  it('adds the slash and enforces the character rules', () => {
    expect(normalizeName('web-1')).toBe('/web-1');
    expect(normalizeName('/web_1.x')).toBe('/web_1.x');
    for (const bad of ['a', '-web', 'we b', 'web/1', '']) {
      expect(() => normalizeName(bad)).toThrow('Invalid container name');
    }
  });

  it('generates adjective_surname names that are valid', () => {
    for (let i = 0; i < 50; i++) {
      const name = generateName();
      expect(name).toMatch(/^[a-z]+_[a-z]+$/);
      expect(name).not.toBe('boring_wozniak');
      expect(normalizeName(name)).toBe(`/${name}`);
    }
    expect(generateName(3)).toMatch(/^[a-z]+_[a-z]+\d$/);
  });
});
