import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../shared/workbench-types';
import { LogBuffer, LogView, compileQuery, defaultFilter } from './log-buffer';

const lines = (texts: string[], stream: LogLine['stream'] = 'stdout'): LogLine[] =>
  texts.map((text, index) => ({ stream, time: `2024-01-01T00:00:0${index % 10}Z`, text }));

const shown = (view: LogView, buffer: LogBuffer) =>
  Array.from({ length: view.count }, (_, position) => buffer.plain(view.lineAt(position)));

describe('LogBuffer', () => {
  it('drops the oldest lines in chunks past its limit', () => {
    const buffer = new LogBuffer(100);
    buffer.append(lines(Array.from({ length: 150 }, (_, index) => `l${index}`)));
    expect(buffer.length).toBeLessThanOrEqual(100);
    expect(buffer.base).toBe(150 - buffer.length);
    expect(buffer.text(buffer.end - 1)).toBe('l149');
    expect(buffer.text(buffer.base)).toBe(`l${buffer.base}`);
  });

  it('keeps ANSI in the text and strips it for search', () => {
    const buffer = new LogBuffer();
    buffer.append(lines(['\x1b[31mred\x1b[0m']));
    expect(buffer.text(0)).toBe('\x1b[31mred\x1b[0m');
    expect(buffer.plain(0)).toBe('red');
  });
});

describe('LogView', () => {
  it('searches plain text case-insensitively and regex as typed', () => {
    const buffer = new LogBuffer();
    buffer.append(lines(['GET /a 200', 'get /b 404', 'POST /c 500', 'x.y']));
    const view = new LogView(buffer, { ...defaultFilter, query: 'get' });
    expect(view.matches).toEqual([0, 1]);
    view.setFilter({ ...defaultFilter, query: ' [45]\\d\\d$', regex: true });
    expect(view.matches).toEqual([1, 2]);
    view.setFilter({ ...defaultFilter, query: '.' });
    expect(view.matches).toEqual([3]);
  });

  it('filters to matches and by stream, incrementally as lines arrive', () => {
    const buffer = new LogBuffer();
    const view = new LogView(buffer, { ...defaultFilter, query: 'error', onlyMatches: true });
    buffer.append(lines(['ok', 'error one']));
    view.consider(0);
    buffer.append(lines(['error two'], 'stderr'));
    view.consider(2);
    expect(shown(view, buffer)).toEqual(['error one', 'error two']);
    view.setFilter({ ...defaultFilter, stdout: false });
    expect(shown(view, buffer)).toEqual(['error two']);
    expect(view.positionOf(2)).toBe(0);
    expect(view.positionOf(1)).toBe(-1);
  });

  it('forgets lines the buffer dropped', () => {
    const buffer = new LogBuffer(10);
    const view = new LogView(buffer, { ...defaultFilter, query: 'x', onlyMatches: true });
    for (let round = 0; round < 5; round++) {
      const end = buffer.end;
      buffer.append(lines(['x', 'y', 'x', 'y']));
      view.consider(end);
    }
    for (let position = 0; position < view.count; position++) {
      expect(buffer.has(view.lineAt(position))).toBe(true);
    }
    expect(view.matches.every((line) => buffer.has(line))).toBe(true);
  });

  it('exports the shown lines, with timestamps when asked', () => {
    const buffer = new LogBuffer();
    buffer.append(lines(['\x1b[1mbold\x1b[0m', 'two']));
    const view = new LogView(buffer);
    expect(view.toText(false)).toBe('bold\ntwo\n');
    expect(view.toText(true).split('\n')[0]).toBe('2024-01-01T00:00:00.000Z bold');
  });

  it('names a broken regular expression', () => {
    expect(() => compileQuery({ ...defaultFilter, query: '(', regex: true })).toThrow(
      /invalid regular expression/,
    );
    expect(compileQuery({ ...defaultFilter, query: '(' })?.test('a(b')).toBe(true);
  });
});

describe('structured lines and merged logs', () => {
  const structured = [
    '{"level":"error","msg":"disk full"}',
    'time=1 level=warn msg="slow query"',
    '{"severity":"INFO","msg":"listening"}',
    'level=debug msg=tick',
    'plain text without a level',
  ];

  it('records the level of JSON and logfmt lines and counts them', () => {
    const buffer = new LogBuffer();
    buffer.append(lines(structured));
    expect([0, 1, 2, 3, 4].map((line) => buffer.level(line))).toEqual([
      'error',
      'warn',
      'info',
      'debug',
      undefined,
    ]);
    expect(buffer.structuredLines).toBe(4);
  });

  it('filters to a level and everything more severe, hiding lines without a level', () => {
    const buffer = new LogBuffer();
    buffer.append(lines(structured));
    const view = new LogView(buffer, { ...defaultFilter, level: 'warn' });
    expect(shown(view, buffer)).toEqual([structured[0], structured[1]]);
    view.setFilter({ ...defaultFilter, level: 'info' });
    expect(view.count).toBe(3);
    buffer.append(lines(['{"level":"fatal","msg":"bye"}']));
    view.consider(buffer.end - 1);
    expect(shown(view, buffer).at(-1)).toBe('{"level":"fatal","msg":"bye"}');
    view.setFilter(defaultFilter);
    expect(view.count).toBe(6);
  });

  it('keeps the container of each merged line and names it in downloads', () => {
    const buffer = new LogBuffer();
    buffer.append([
      { stream: 'stdout', time: '', text: 'up', source: 'shop-api-1' },
      { stream: 'stdout', time: '', text: 'booting', source: 'shop-db-1' },
      { stream: 'stdout', time: '', text: 'ready', source: 'shop-api-1' },
    ]);
    expect(buffer.sourceNames).toEqual(['shop-api-1', 'shop-db-1']);
    expect([0, 1, 2].map((line) => buffer.sourceIndexOf(line))).toEqual([0, 1, 0]);
    expect(new LogView(buffer).toText(false)).toBe(
      'shop-api-1 | up\nshop-db-1 | booting\nshop-api-1 | ready\n',
    );
  });
});
