import { describe, expect, it } from 'vitest';
import { parseDockerfile, parseJsonForm } from './dockerfile-parser';
import { DockerIgnore } from './dockerignore';
import { expandString, expandWords, parseKeyValues } from './shell-words';

describe('Dockerfile parser', () => {
  it('reads directives, comments, continuations and both forms', () => {
    const parsed = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        '# escape=\\',
        '',
        'ARG BASE=busybox',
        'FROM ${BASE} AS build',
        '# a comment',
        'RUN echo one \\',
        '  # comments inside a continuation are dropped',
        '  && echo two',
        'CMD ["sh", "-c", "echo hi"]',
        'COPY --from=build --chown=1:1 /a /b',
      ].join('\n'),
    );
    expect(parsed.syntax).toBe('docker/dockerfile:1');
    expect(parsed.instructions.map((i) => i.keyword)).toEqual([
      'ARG',
      'FROM',
      'RUN',
      'CMD',
      'COPY',
    ]);
    const run = parsed.instructions[2]!;
    expect(run.args).toBe('echo one   && echo two');
    expect(run.line).toBe(7);
    expect(parsed.instructions[3]!.json).toEqual(['sh', '-c', 'echo hi']);
    expect(parsed.instructions[4]!.flags).toEqual({ from: 'build', chown: '1:1' });
    expect(parsed.instructions[4]!.args).toBe('/a /b');
  });

  it('honours the backtick escape directive (Windows style)', () => {
    const parsed = parseDockerfile('# escape=`\nFROM busybox\nRUN echo a `\n  b\n');
    expect(parsed.escape).toBe('`');
    expect(parsed.instructions[1]!.args).toBe('echo a   b');
  });

  it('reads heredocs, with <<- tab stripping and quoted delimiters', () => {
    const parsed = parseDockerfile(
      'FROM busybox\nRUN <<EOF\necho hello\necho world\nEOF\nCOPY <<-"CONF" /etc/app.conf\n\tkey=$VALUE\n\tCONF\n',
    );
    const [, run, copy] = parsed.instructions;
    expect(run!.heredocs).toEqual([
      { name: 'EOF', chomp: false, expand: true, content: 'echo hello\necho world\n' },
    ]);
    expect(copy!.heredocs[0]).toEqual({
      name: 'CONF',
      chomp: true,
      expand: false,
      content: 'key=$VALUE\n',
    });
  });

  it('names the line of an unknown instruction and an unterminated heredoc', () => {
    expect(() => parseDockerfile('FROM busybox\n\nFORM x\n')).toThrow(
      'Dockerfile parse error on line 3: unknown instruction: FORM',
    );
    expect(() => parseDockerfile('FROM busybox\nRUN <<EOF\necho\n')).toThrow(
      'line 2: unterminated heredoc <<EOF',
    );
    expect(() => parseDockerfile('# escape=x\nFROM busybox\n')).toThrow("invalid escape token 'x'");
  });

  it('treats text that is not a JSON array of strings as the shell form', () => {
    expect(parseJsonForm('["a", 1]')).toBeUndefined();
    expect(parseJsonForm('[not json')).toBeUndefined();
    expect(parseJsonForm('echo [x]')).toBeUndefined();
  });
});

describe('variable substitution', () => {
  const vars = new Map([
    ['NAME', 'berth'],
    ['EMPTY', ''],
    ['SPACED', 'a b'],
  ]);

  it('expands $VAR, ${VAR}, :- and :+ forms', () => {
    expect(expandString('/home/$NAME/${NAME}x', vars)).toBe('/home/berth/berthx');
    expect(expandString('${MISSING:-fallback} ${EMPTY:-empty} ${NAME:-unused}', vars)).toBe(
      'fallback empty berth',
    );
    expect(expandString('${NAME:+set} ${MISSING:+nope}.', vars)).toBe('set .');
    expect(expandString('\\$NAME costs $5', vars)).toBe('$NAME costs $5');
    expect(() => expandString('${NAME', vars)).toThrow("missing '}'");
  });

  it('splits words with quotes and escapes, without re-splitting values', () => {
    expect(expandWords('"a b" c\\ d \'$NAME\' $SPACED', vars)).toEqual([
      'a b',
      'c d',
      '$NAME',
      'a b',
    ]);
    expect(expandWords('$MISSING x ""', vars)).toEqual(['x', '']);
  });

  it('parses key=value pairs and the legacy ENV form', () => {
    expect(parseKeyValues('A=1 B="two words" C=$NAME', vars)).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', 'berth'],
    ]);
    expect(parseKeyValues('GREETING hello $NAME', vars)).toEqual([['GREETING', 'hello berth']]);
    expect(() => parseKeyValues('A=1 junk', vars)).toThrow('can\'t find = in "junk"');
  });
});

describe('.dockerignore', () => {
  it('matches at the root, with ** anywhere, and excludes what is below a folder', () => {
    const ignore = new DockerIgnore('# comment\nnode_modules\n*.log\n**/*.tmp\n/build/\n');
    expect(ignore.excludes('node_modules/x/index.js')).toBe(true);
    expect(ignore.excludes('app.log')).toBe(true);
    expect(ignore.excludes('sub/app.log')).toBe(false);
    expect(ignore.excludes('a/b/c.tmp')).toBe(true);
    expect(ignore.excludes('build/out.bin')).toBe(true);
    expect(ignore.excludes('src/main.ts')).toBe(false);
  });

  it('re-includes with ! and lets the last match win', () => {
    const ignore = new DockerIgnore('*.md\n!README.md\ndocs\n!docs/keep.md\n');
    expect(ignore.excludes('CHANGES.md')).toBe(true);
    expect(ignore.excludes('README.md')).toBe(false);
    expect(ignore.excludes('docs/drop.md')).toBe(true);
    expect(ignore.excludes('docs/keep.md')).toBe(false);
    expect(ignore.matchingPattern('CHANGES.md')).toBe('*.md');
  });

  it('supports ? and character classes', () => {
    const ignore = new DockerIgnore('file?.txt\nlog[0-9]\n');
    expect(ignore.excludes('file1.txt')).toBe(true);
    expect(ignore.excludes('file10.txt')).toBe(false);
    expect(ignore.excludes('log7')).toBe(true);
    expect(ignore.excludes('logx')).toBe(false);
  });
});
