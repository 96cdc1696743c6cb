import { memo } from 'react';
import { parseAnsi, type AnsiStyle, type LogLevel } from './ansi';

/** Distinct tag colours for merged logs (a container keeps its colour for the view's life). */
const sourcePalette = 8;

function cssOf(style: AnsiStyle): React.CSSProperties | undefined {
  if (!style.fg && !style.bg && !style.bold && !style.dim && !style.italic && !style.underline)
    return undefined;
  return {
    ...(style.fg ? { color: style.fg } : {}),
    ...(style.bg ? { background: style.bg } : {}),
    ...(style.bold ? { fontWeight: 700 } : {}),
    ...(style.dim ? { opacity: 0.7 } : {}),
    ...(style.italic ? { fontStyle: 'italic' } : {}),
    ...(style.underline ? { textDecoration: 'underline' } : {}),
  };
}

function highlighted(plain: string, pattern: RegExp) {
  const parts: React.ReactNode[] = [];
  let last = 0;
  pattern.lastIndex = 0;
  for (const match of plain.matchAll(pattern)) {
    if (match[0] === '') break;
    parts.push(plain.slice(last, match.index));
    parts.push(<mark key={match.index}>{match[0]}</mark>);
    last = match.index + match[0].length;
  }
  parts.push(plain.slice(last));
  return parts;
}

/** One rendered log line: timestamp, stream marker, ANSI colours or search highlights. */
export const LogLineView = memo(function LogLineView({
  text,
  plain,
  time,
  stderr,
  level,
  source,
  sourceIndex,
  showTime,
  pattern,
  current,
}: {
  text: string;
  plain: string;
  time: number;
  stderr: boolean;
  /** From the buffer: the level a JSON or logfmt line declares. */
  level: LogLevel | undefined;
  /** Merged project logs: the container that printed the line. */
  source: string | undefined;
  sourceIndex: number;
  showTime: boolean;
  pattern: RegExp | undefined;
  current: boolean;
}) {
  let matches = false;
  if (pattern) {
    pattern.lastIndex = 0;
    matches = pattern.test(plain);
  }
  return (
    <div
      className={`log-line${stderr ? ' stderr' : ''}${level ? ` level-${level}` : ''}${current ? ' current' : ''}`}
    >
      {showTime && (
        <span className="log-time">
          {Number.isFinite(time) ? new Date(time).toISOString().replace('T', ' ').slice(0, 23) : ''}
        </span>
      )}
      {source !== undefined && (
        <span className={`log-source source-${sourceIndex % sourcePalette}`} title={source}>
          {source}
        </span>
      )}
      <span className="log-text">
        {matches && pattern
          ? highlighted(plain, pattern)
          : parseAnsi(text).map((segment, index) => (
              <span key={index} style={cssOf(segment.style)}>
                {segment.text}
              </span>
            ))}
      </span>
    </div>
  );
});
