import { describe, expect, it } from 'vitest';
import { detectLevel, parseAnsi, stripAnsi } from './ansi';

describe('parseAnsi', () => {
  it('splits text into styled segments', () => {
    expect(parseAnsi('a\x1b[1;31mb\x1b[0mc')).toEqual([
      { text: 'a', style: {} },
      { text: 'b', style: { bold: true, fg: 'var(--ansi-1)' } },
      { text: 'c', style: {} },
    ]);
  });

  it('handles bright, 256-colour and truecolor codes', () => {
    expect(parseAnsi('\x1b[92mx')[0]!.style.fg).toBe('var(--ansi-10)');
    expect(parseAnsi('\x1b[38;5;196mx')[0]!.style.fg).toBe('rgb(255,0,0)');
    expect(parseAnsi('\x1b[48;2;1;2;3mx')[0]!.style.bg).toBe('rgb(1,2,3)');
    expect(parseAnsi('\x1b[38;5;240mx')[0]!.style.fg).toBe('rgb(88,88,88)');
  });

  it('drops cursor movement and OSC sequences', () => {
    expect(stripAnsi('\x1b[2K\x1b]0;title\x07done\x1b[1A')).toBe('done');
    expect(parseAnsi('\x1b[2Kdone')).toEqual([{ text: 'done', style: {} }]);
  });
});

describe('detectLevel', () => {
  it('reads JSON and logfmt levels', () => {
    expect(detectLevel('{"level":"ERROR","msg":"x"}')).toBe('error');
    expect(detectLevel('{"severity": "warning"}')).toBe('warn');
    expect(detectLevel('time=1 level=debug msg="x"')).toBe('debug');
    expect(detectLevel('lvl="info" msg=y')).toBe('info');
  });

  it('leaves unstructured lines alone', () => {
    expect(detectLevel('an error happened')).toBeUndefined();
    expect(detectLevel('{"msg":"no level"}')).toBeUndefined();
  });
});
