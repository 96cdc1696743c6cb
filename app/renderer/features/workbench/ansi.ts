// A small ANSI SGR parser for log lines: colours (16, 256, truecolor), bold, dim, italic,
// underline. Other escape sequences (cursor moves, OSC titles) are dropped.
export interface AnsiStyle {
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

export interface AnsiSegment {
  text: string;
  style: AnsiStyle;
}

// eslint-disable-next-line no-control-regex
const escapePattern = /\x1b(?:\[([0-9;:?]*)([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

export function hasAnsi(text: string): boolean {
  return text.includes('\x1b');
}

export function stripAnsi(text: string): string {
  return hasAnsi(text) ? text.replace(escapePattern, '') : text;
}

/** Colour n of the 16-colour palette as a CSS variable the themes define. */
const paletteColor = (index: number) => `var(--ansi-${index})`;

function color256(n: number): string {
  if (n < 16) return paletteColor(n);
  if (n >= 232) {
    const level = 8 + (n - 232) * 10;
    return `rgb(${level},${level},${level})`;
  }
  const cube = n - 16;
  const step = (value: number) => (value === 0 ? 0 : 55 + value * 40);
  return `rgb(${step(Math.floor(cube / 36))},${step(Math.floor(cube / 6) % 6)},${step(cube % 6)})`;
}

function applySgr(style: AnsiStyle, params: number[]): AnsiStyle {
  const next = { ...style };
  for (let index = 0; index < params.length; index++) {
    const code = params[index]!;
    if (code === 0) {
      for (const key of Object.keys(next)) delete next[key as keyof AnsiStyle];
    } else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = true;
    else if (code === 22) {
      delete next.bold;
      delete next.dim;
    } else if (code === 23) delete next.italic;
    else if (code === 24) delete next.underline;
    else if (code >= 30 && code <= 37) next.fg = paletteColor(code - 30);
    else if (code >= 90 && code <= 97) next.fg = paletteColor(code - 90 + 8);
    else if (code >= 40 && code <= 47) next.bg = paletteColor(code - 40);
    else if (code >= 100 && code <= 107) next.bg = paletteColor(code - 100 + 8);
    else if (code === 39) delete next.fg;
    else if (code === 49) delete next.bg;
    else if (code === 38 || code === 48) {
      const key = code === 38 ? 'fg' : 'bg';
      if (params[index + 1] === 5 && params[index + 2] !== undefined) {
        next[key] = color256(params[index + 2]!);
        index += 2;
      } else if (params[index + 1] === 2 && params[index + 4] !== undefined) {
        next[key] = `rgb(${params[index + 2]},${params[index + 3]},${params[index + 4]})`;
        index += 4;
      }
    }
  }
  return next;
}

export function parseAnsi(text: string): AnsiSegment[] {
  if (!hasAnsi(text)) return [{ text, style: {} }];
  const segments: AnsiSegment[] = [];
  let style: AnsiStyle = {};
  let last = 0;
  for (const match of text.matchAll(escapePattern)) {
    if (match.index > last) segments.push({ text: text.slice(last, match.index), style });
    last = match.index + match[0].length;
    if (match[2] === 'm') {
      const params = (match[1] ?? '').split(/[;:]/).map((part) => (part === '' ? 0 : Number(part)));
      style = applySgr(style, params);
    }
  }
  if (last < text.length) segments.push({ text: text.slice(last), style });
  return segments;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const levelWords: Record<string, LogLevel> = {
  fatal: 'error',
  panic: 'error',
  critical: 'error',
  crit: 'error',
  error: 'error',
  err: 'error',
  warning: 'warn',
  warn: 'warn',
  info: 'info',
  notice: 'info',
  debug: 'debug',
  trace: 'debug',
};

const jsonLevel = /"(?:level|severity|lvl|log\.level)"\s*:\s*"([a-zA-Z]+)"/;
const logfmtLevel = /(?:^|\s)(?:level|lvl|severity)=("?)([a-zA-Z]+)\1(?:\s|$)/;

/** The level of a structured line (JSON or logfmt), if it declares one. */
export function detectLevel(plain: string): LogLevel | undefined {
  const first = plain.trimStart()[0];
  const match = first === '{' ? jsonLevel.exec(plain) : logfmtLevel.exec(plain);
  const word = first === '{' ? match?.[1] : match?.[2];
  return word ? levelWords[word.toLowerCase()] : undefined;
}
