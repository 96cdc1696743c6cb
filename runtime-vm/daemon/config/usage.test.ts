import { describe, expect, it } from 'vitest';
import { flagSpecs } from './options';
import { settingHelp, usageText } from './usage';

describe('berthd --help', () => {
  it('describes every flag berthd parses, and nothing else', () => {
    const keys = new Set(Object.values(flagSpecs).map((spec) => spec.key));
    expect([...keys].sort()).toEqual(Object.keys(settingHelp).sort());
  });

  it('lists short and long forms with their value and text', () => {
    const text = usageText(flagSpecs);
    expect(text).toMatch(/^Usage:\tberthd \[OPTIONS\]/);
    expect(text).toMatch(/ {2}-H, --host list +Daemon socket\(s\) to connect to/);
    expect(text).toMatch(/ {6}--data-root string +Root directory of persistent state/);
    expect(text).toContain('-h, --help');
  });
});
