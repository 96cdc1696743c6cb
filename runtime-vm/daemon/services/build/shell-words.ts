// Variable substitution and word splitting as the Dockerfile reference defines them for ENV, ARG,
// LABEL, COPY, ADD, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL and FROM: `$VAR`, `${VAR}`,
// `${VAR:-default}`, `${VAR:+alt}`, quotes, and the escape character. RUN's shell form is left to
// the shell in the container.
import { InvalidArgumentError } from '../../errors';

export type Variables = ReadonlyMap<string, string>;

/**
 * Expands variables and splits into words. Quotes group words and are removed; the escape
 * character makes the next character literal (`\$HOME` stays `$HOME`).
 */
export function expandWords(text: string, variables: Variables, escape = '\\'): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let i = 0;
  const pushWord = () => {
    if (inWord) words.push(current);
    current = '';
    inWord = false;
  };
  while (i < text.length) {
    const char = text[i]!;
    if (char === escape && i + 1 < text.length) {
      current += text[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(char)) {
      pushWord();
      i++;
    } else if (char === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0)
        throw new InvalidArgumentError(
          `unexpected end of statement while looking for matching single-quote in: ${text}`,
        );
      current += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (char === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= text.length)
          throw new InvalidArgumentError(
            `unexpected end of statement while looking for matching double-quote in: ${text}`,
          );
        const inner = text[i]!;
        if (inner === '"') {
          i++;
          break;
        }
        if (
          inner === escape &&
          i + 1 < text.length &&
          (text[i + 1] === '"' || text[i + 1] === '$' || text[i + 1] === escape)
        ) {
          current += text[i + 1];
          i += 2;
        } else if (inner === '$') {
          const expanded = expandVariable(text, i, variables, escape);
          current += expanded.value;
          i = expanded.end;
        } else {
          current += inner;
          i++;
        }
      }
    } else if (char === '$') {
      const expanded = expandVariable(text, i, variables, escape);
      current += expanded.value;
      // An unquoted variable that expands to nothing makes no word ("" would).
      inWord ||= expanded.value !== '';
      i = expanded.end;
    } else {
      current += char;
      inWord = true;
      i++;
    }
  }
  pushWord();
  return words;
}

/** Expands variables in a single string, keeping quotes and spacing as they are. */
export function expandString(text: string, variables: Variables, escape = '\\'): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === escape && text[i + 1] === '$') {
      out += '$';
      i += 2;
    } else if (char === '$') {
      const expanded = expandVariable(text, i, variables, escape);
      out += expanded.value;
      i = expanded.end;
    } else {
      out += char;
      i++;
    }
  }
  return out;
}

/** Expands the variable reference that starts at `start` (a `$`). */
function expandVariable(
  text: string,
  start: number,
  variables: Variables,
  escape: string,
): { value: string; end: number } {
  const next = text[start + 1];
  if (next === '{') {
    const close = findClosingBrace(text, start + 2);
    if (close < 0)
      throw new InvalidArgumentError(`missing '}' in variable reference: ${text.slice(start)}`);
    const body = text.slice(start + 2, close);
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+?])([\s\S]*))?$/.exec(body);
    if (!match) throw new InvalidArgumentError(`bad substitution: \${${body}}`);
    const [, name, operator, word = ''] = match;
    const value = variables.get(name!);
    const isSet = value !== undefined && value !== '';
    let result: string;
    switch (operator) {
      case '-':
        result = isSet ? value : expandString(word, variables, escape);
        break;
      case '+':
        result = isSet ? expandString(word, variables, escape) : '';
        break;
      case '?':
        if (!isSet) throw new InvalidArgumentError(`${name}: ${word || 'parameter not set'}`);
        result = value;
        break;
      default:
        result = value ?? '';
    }
    return { value: result, end: close + 1 };
  }
  const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(start + 1));
  if (!match) return { value: '$', end: start + 1 };
  return { value: variables.get(match[0]) ?? '', end: start + 1 + match[0].length };
}

function findClosingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * `KEY=value KEY2="two words"` pairs (ENV, LABEL, ARG), or the legacy `KEY value` form of ENV
 * and LABEL when `allowLegacy` is set and there is no `=` in the first word.
 */
export function parseKeyValues(
  text: string,
  variables: Variables,
  escape = '\\',
  allowLegacy = true,
): Array<[string, string]> {
  const trimmed = text.trim();
  const firstWord = /^\S+/.exec(trimmed)?.[0] ?? '';
  if (allowLegacy && !firstWord.includes('=')) {
    const name = firstWord;
    const value = trimmed.slice(firstWord.length).trim();
    if (!name) throw new InvalidArgumentError('missing key');
    return [[name, expandString(value, variables, escape)]];
  }
  return expandWords(trimmed, variables, escape).map((word) => {
    const equals = word.indexOf('=');
    if (equals <= 0)
      throw new InvalidArgumentError(
        `syntax error - can't find = in "${word}". Must be of the form: name=value`,
      );
    return [word.slice(0, equals), word.slice(equals + 1)];
  });
}
