// Parses a Dockerfile into instructions, the way the classic builder reads it: parser directives
// (`# syntax`, `# escape`) at the top, comments, line continuations with the escape character,
// heredocs (`<<EOF`), and JSON (exec) versus shell forms. Variable substitution happens later,
// per instruction, because it depends on the ARG and ENV values in force at that step.
import { InvalidArgumentError } from '../../errors';

export interface Heredoc {
  name: string;
  content: string;
  /** `<<-` strips leading tabs from the content lines. */
  chomp: boolean;
  /** A quoted delimiter (`<<"EOF"`) turns variable expansion off in the content. */
  expand: boolean;
}

export interface Instruction {
  /** Upper-case keyword, e.g. RUN. */
  keyword: string;
  /** Everything after the keyword, continuations joined, flags included. */
  rest: string;
  /** `--name=value` flags before the arguments (`COPY --from=build`). */
  flags: Record<string, string>;
  /** The arguments without the flags. */
  args: string;
  /** The JSON array when the arguments are in exec form. */
  json: string[] | undefined;
  heredocs: Heredoc[];
  /** 1-based line where the instruction starts, for error messages. */
  line: number;
  /** The original text, for the image history (`created_by`). */
  original: string;
}

export interface ParsedDockerfile {
  escape: '\\' | '`';
  syntax: string | undefined;
  instructions: Instruction[];
}

export const KNOWN_INSTRUCTIONS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]); // prettier-ignore

/** Instructions whose arguments may be heredocs (BuildKit's rule, which the CLI documents). */
const HEREDOC_INSTRUCTIONS = new Set(['RUN', 'COPY', 'ADD']);

export class DockerfileSyntaxError extends InvalidArgumentError {
  constructor(line: number, message: string) {
    super(`Dockerfile parse error on line ${line}: ${message}`);
  }
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let escape: '\\' | '`' = '\\';
  let syntax: string | undefined;
  let index = 0;

  // Parser directives: only at the very top, before any other line, each at most once.
  const seen = new Set<string>();
  for (; index < lines.length; index++) {
    const match = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(lines[index]!);
    if (!match) break;
    const name = match[1]!.toLowerCase();
    if (name !== 'escape' && name !== 'syntax' && name !== 'check') break;
    if (seen.has(name))
      throw new DockerfileSyntaxError(index + 1, `only one ${name} parser directive can be used`);
    seen.add(name);
    if (name === 'escape') {
      if (match[2] !== '\\' && match[2] !== '`') {
        throw new DockerfileSyntaxError(
          index + 1,
          `invalid escape token '${match[2]}': must be \` or \\`,
        );
      }
      escape = match[2];
    } else if (name === 'syntax') {
      syntax = match[2];
    }
  }

  const instructions: Instruction[] = [];
  while (index < lines.length) {
    const startLine = index + 1;
    const first = lines[index]!;
    index++;
    if (isBlankOrComment(first)) continue;

    // Join continuation lines; comment lines inside a continuation are dropped, as Docker does.
    let logical = first;
    const originalLines = [first];
    while (endsWithEscape(logical, escape) && index < lines.length) {
      logical = logical.replace(/\s*$/, '').slice(0, -1);
      // Comment and empty lines inside a continuation are skipped, as Docker does.
      while (index < lines.length && isBlankOrComment(lines[index]!))
        originalLines.push(lines[index++]!);
      if (index >= lines.length) break;
      const next = lines[index++]!;
      originalLines.push(next);
      logical += next;
    }
    if (endsWithEscape(logical, escape)) logical = logical.replace(/\s*$/, '').slice(0, -1);

    const match = /^\s*(\S+)(?:\s+([\s\S]*))?$/.exec(logical);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    if (!KNOWN_INSTRUCTIONS.has(keyword)) {
      throw new DockerfileSyntaxError(startLine, `unknown instruction: ${match[1]}`);
    }
    const rest = (match[2] ?? '').trim();
    const { flags, args } = splitFlags(rest, startLine);

    const heredocs: Heredoc[] = [];
    if (HEREDOC_INSTRUCTIONS.has(keyword)) {
      for (const marker of heredocMarkers(args)) {
        const body: string[] = [];
        let closed = false;
        while (index < lines.length) {
          const bodyLine = lines[index]!;
          index++;
          originalLines.push(bodyLine);
          const candidate = marker.chomp ? bodyLine.replace(/^\t+/, '') : bodyLine;
          if (candidate === marker.name) {
            closed = true;
            break;
          }
          body.push(candidate);
        }
        if (!closed)
          throw new DockerfileSyntaxError(startLine, `unterminated heredoc <<${marker.name}`);
        heredocs.push({ ...marker, content: body.length ? `${body.join('\n')}\n` : '' });
      }
    }

    instructions.push({
      keyword,
      rest,
      flags,
      args,
      json: heredocs.length ? undefined : parseJsonForm(args),
      heredocs,
      line: startLine,
      original: originalLines.join('\n'),
    });
  }
  return { escape, syntax, instructions };
}

function isBlankOrComment(line: string): boolean {
  return /^\s*(#.*)?$/.test(line);
}

function endsWithEscape(line: string, escape: string): boolean {
  const trimmed = line.replace(/\s*$/, '');
  return trimmed.endsWith(escape) && !trimmed.endsWith(escape + escape);
}

/** Leading `--name=value` (or bare `--name`) flags. */
function splitFlags(rest: string, line: number): { flags: Record<string, string>; args: string } {
  const flags: Record<string, string> = {};
  let remaining = rest;
  for (;;) {
    const match = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(remaining);
    if (!match) break;
    if (match[1]! in flags) throw new DockerfileSyntaxError(line, `duplicate flag --${match[1]}`);
    flags[match[1]!] = match[2] ?? 'true';
    remaining = remaining.slice(match[0].length);
  }
  return { flags, args: remaining };
}

/** `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` markers in an instruction's arguments. */
function heredocMarkers(args: string): Array<Omit<Heredoc, 'content'>> {
  const markers: Array<Omit<Heredoc, 'content'>> = [];
  for (const match of args.matchAll(/<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g)) {
    markers.push({ name: match[3]!, chomp: match[1] === '-', expand: match[2] === '' });
  }
  return markers;
}

/** The exec form: a JSON array of strings. Anything else is the shell form (undefined). */
export function parseJsonForm(args: string): string[] | undefined {
  const trimmed = args.trim();
  if (!trimmed.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed;
  } catch {
    // Docker falls back to the shell form for text that is not a JSON array of strings.
  }
  return undefined;
}
