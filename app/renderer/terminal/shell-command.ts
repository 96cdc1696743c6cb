// The shell picker's choices → the exec command line.
export type ShellChoice = 'auto' | 'bash' | 'zsh' | 'sh' | 'custom';

export const shellChoices: { id: ShellChoice; label: string }[] = [
  { id: 'auto', label: 'Best available (bash → zsh → sh)' },
  { id: 'bash', label: 'bash' },
  { id: 'zsh', label: 'zsh' },
  { id: 'sh', label: 'sh' },
  { id: 'custom', label: 'Custom command…' },
];

const autoScript =
  'if command -v bash >/dev/null 2>&1; then exec bash; ' +
  'elif command -v zsh >/dev/null 2>&1; then exec zsh; else exec sh; fi';

/** Splits a command line on spaces, honouring single and double quotes and backslashes. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  let started = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && index + 1 < line.length) current += line[++index];
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      started = true;
    } else if (char === '\\' && index + 1 < line.length) {
      current += line[++index];
      started = true;
    } else if (/\s/.test(char)) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else {
      current += char;
      started = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} quote in "${line}"`);
  if (started) words.push(current);
  return words;
}

export function shellCommand(choice: ShellChoice, custom: string): string[] {
  switch (choice) {
    case 'auto':
      return ['/bin/sh', '-c', autoScript];
    case 'custom': {
      const words = splitCommandLine(custom);
      if (words.length === 0) throw new Error('type the command to run');
      return words;
    }
    default:
      return [choice];
  }
}

/** The value remembered per image: a choice id, or the custom command line itself. */
export function toRemembered(choice: ShellChoice, custom: string): string {
  return choice === 'custom' ? `custom:${custom}` : choice;
}

export function fromRemembered(value: string | undefined): { choice: ShellChoice; custom: string } {
  if (!value) return { choice: 'auto', custom: '' };
  if (value.startsWith('custom:')) return { choice: 'custom', custom: value.slice(7) };
  const known = shellChoices.find((entry) => entry.id === value);
  return { choice: known ? known.id : 'auto', custom: '' };
}
