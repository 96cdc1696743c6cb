// .dockerignore with Docker's rules: patterns are cleaned paths relative to the context root,
// matched with Go's filepath.Match syntax plus `**` for any number of folders; a leading `!`
// re-includes; the last matching pattern wins. A folder that matches excludes everything below.
import { posix } from 'node:path';

interface Pattern {
  regex: RegExp;
  exclusion: boolean;
  /** The pattern text, for "excluded by .dockerignore" messages. */
  source: string;
}

export class DockerIgnore {
  private readonly patterns: Pattern[];

  constructor(text: string) {
    this.patterns = [];
    for (const raw of text.split(/\r?\n/)) {
      let line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const exclusion = line.startsWith('!');
      if (exclusion) line = line.slice(1).trim();
      // Docker cleans each pattern as a path and makes it relative to the root.
      let cleaned = posix.normalize(line).replace(/^\/+/, '');
      if (cleaned === '.' || cleaned === '') cleaned = '.';
      cleaned = cleaned.replace(/\/+$/, '');
      this.patterns.push({ regex: globToRegex(cleaned), exclusion, source: raw.trim() });
    }
  }

  get isEmpty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether `path` (relative to the context, `/`-separated) is left out of the context. */
  excludes(path: string): boolean {
    return this.matchingPattern(path) !== undefined;
  }

  /** The pattern that excludes `path`, or undefined when it stays in the context. */
  matchingPattern(path: string): string | undefined {
    const relative = posix.normalize(path).replace(/^\/+/, '');
    // A path is excluded when it or one of its parent folders matches.
    const candidates: string[] = [];
    const parts = relative.split('/');
    for (let i = 1; i <= parts.length; i++) candidates.push(parts.slice(0, i).join('/'));
    let excludedBy: string | undefined;
    for (const pattern of this.patterns) {
      if (candidates.some((candidate) => pattern.regex.test(candidate))) {
        excludedBy = pattern.exclusion ? undefined : pattern.source;
      }
    }
    return excludedBy;
  }

  /**
   * Whether a folder could hold re-included files, so a walker must descend into an excluded
   * folder only when some `!` pattern could match below it.
   */
  hasExceptions(): boolean {
    return this.patterns.some((pattern) => pattern.exclusion);
  }
}

/** Go filepath.Match syntax (`*`, `?`, `[...]`, `\` escapes) plus `**`, anchored. */
export function globToRegex(pattern: string): RegExp {
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more folders; a trailing `**` matches everything.
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          regex += '(?:.*/)?';
        } else {
          regex += '.*';
        }
      } else {
        regex += '[^/]*';
      }
    } else if (char === '?') {
      regex += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        regex += '\\[';
      } else {
        let set = pattern.slice(i + 1, end);
        if (set.startsWith('^') || set.startsWith('!')) set = `^${set.slice(1)}`;
        regex += `[${set.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (char === '\\' && i + 1 < pattern.length) {
      regex += escapeRegex(pattern[++i]!);
    } else {
      regex += escapeRegex(char);
    }
  }
  return new RegExp(`^${regex}$`);
}

function escapeRegex(char: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char;
}
