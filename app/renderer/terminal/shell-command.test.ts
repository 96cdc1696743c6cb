import { describe, expect, it } from 'vitest';
import { fromRemembered, shellCommand, splitCommandLine, toRemembered } from './shell-command';

describe('shell commands', () => {
  it('splits a custom command line with quotes and escapes', () => {
    expect(splitCommandLine(`python3 -c "print('hi there')" a\\ b ''`)).toEqual([
      'python3',
      '-c',
      "print('hi there')",
      'a b',
      '',
    ]);
    expect(() => splitCommandLine('echo "open')).toThrow(/unclosed " quote/);
  });

  it('maps the picker choices to exec commands', () => {
    expect(shellCommand('bash', '')).toEqual(['bash']);
    expect(shellCommand('auto', '')[0]).toBe('/bin/sh');
    expect(shellCommand('custom', 'psql -U app')).toEqual(['psql', '-U', 'app']);
    expect(() => shellCommand('custom', '  ')).toThrow(/type the command/);
  });

  it('round-trips the remembered choice', () => {
    expect(fromRemembered(toRemembered('custom', 'irb'))).toEqual({
      choice: 'custom',
      custom: 'irb',
    });
    expect(fromRemembered(toRemembered('zsh', ''))).toEqual({ choice: 'zsh', custom: '' });
    expect(fromRemembered('fish')).toEqual({ choice: 'auto', custom: '' });
  });
});
