// The Logs tab: follows the engine's log through main (batched per 16 ms / 16 KiB) into a
// bounded buffer, and renders only the rows in view, so a million lines scroll smoothly and a
// container printing flat out does not freeze the page.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { subscribe } from '../../../shared/rpc/client';
import type { CallOptions } from '../../../shared/contract';
import type { LogBatch } from '../../../shared/workbench-types';
import { Toggle } from '../../components/Toggle';
import { api } from '../../client/connection';
import { useBerth } from '../../stores/store';
import {
  LogBuffer,
  LogView,
  defaultFilter,
  logLevels,
  type LevelFilter,
  type LogFilter,
} from './log-buffer';
import { LogLineView } from './LogLineView';

const rowHeight = 18;
/** Shortest time between two re-renders caused by arriving lines (user input is immediate). */
const newLinesRepaintMs = 100;
const tailChoices = ['1000', '10000', '100000', 'all'] as const;

function toUnixSeconds(local: string): number | undefined {
  if (!local) return undefined;
  const ms = Date.parse(local);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/** Whose log the panel shows: one container, or every container of a compose project merged. */
export type LogTarget =
  { kind: 'container'; id: string; name: string } | { kind: 'project'; project: string };

interface LogWindow {
  follow: boolean;
  tail?: number;
  since?: number;
  until?: number;
}

function followTarget(target: LogTarget, window: LogWindow, options: CallOptions<LogBatch>) {
  return target.kind === 'container'
    ? api.logs.follow({ id: target.id, ...window }, options)
    : api.logs.followProject({ project: target.project, ...window }, options);
}

export function LogsPanel({ target }: { target: LogTarget }) {
  const targetKey = target.kind === 'container' ? `c:${target.id}` : `p:${target.project}`;
  const fileName = target.kind === 'container' ? target.name : `${target.project}-project`;
  const targetRef = useRef(target);
  targetRef.current = target;
  const notify = useBerth((state) => state.notify);
  const buffer = useMemo(() => new LogBuffer(), []);
  const [filter, setFilter] = useState<LogFilter>(defaultFilter);
  const [filterError, setFilterError] = useState('');
  const view = useMemo(() => new LogView(buffer), [buffer]);
  const [version, setVersion] = useState(0);
  const [following, setFollowing] = useState(true);
  const [newLines, setNewLines] = useState(0);
  const [showTime, setShowTime] = useState(false);
  const [wrap, setWrap] = useState(false);
  const [tail, setTail] = useState<(typeof tailChoices)[number]>('10000');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [current, setCurrent] = useState(-1);
  const [streamState, setStreamState] = useState<'live' | 'ended' | 'error'>('live');
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ top: 0, height: 400 });
  const followingRef = useRef(true);
  const frame = useRef(0);
  const repaintTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const lastRender = useRef(0);
  const pendingNew = useRef(0);
  const lastTop = useRef(0);

  // New lines re-render at most once per animation frame, and no more often than every
  // newLinesRepaintMs: a flood is unreadable at 60 fps anyway, and every repaint of a full view
  // costs script, layout and (software) paint that input handling then waits for.
  const scheduleRender = useCallback(() => {
    if (frame.current || repaintTimer.current) return;
    const render = () => {
      frame.current = requestAnimationFrame(() => {
        frame.current = 0;
        lastRender.current = performance.now();
        if (!followingRef.current && pendingNew.current) {
          setNewLines((count) => count + pendingNew.current);
        }
        pendingNew.current = 0;
        setVersion((value) => value + 1);
      });
    };
    const wait = newLinesRepaintMs - (performance.now() - lastRender.current);
    if (wait <= 0) render();
    else
      repaintTimer.current = setTimeout(() => {
        repaintTimer.current = undefined;
        render();
      }, wait);
  }, []);

  useEffect(() => {
    buffer.clear();
    view.consider(buffer.base);
    setStreamState('live');
    setVersion((value) => value + 1);
    const sinceSeconds = toUnixSeconds(since);
    const untilSeconds = toUnixSeconds(until);
    const stop = subscribe<LogBatch>(
      (options) =>
        followTarget(
          targetRef.current,
          {
            follow: untilSeconds === undefined,
            ...(tail === 'all' ? {} : { tail: Number(tail) }),
            ...(sinceSeconds !== undefined ? { since: sinceSeconds } : {}),
            ...(untilSeconds !== undefined ? { until: untilSeconds } : {}),
          },
          options,
        ),
      (batch) => {
        const before = view.count;
        const end = buffer.end;
        buffer.append(batch.lines);
        view.consider(end);
        pendingNew.current += Math.max(0, view.count - before);
        scheduleRender();
      },
      (error) => {
        setStreamState(error ? 'error' : 'ended');
        if (error) notify('error', `Logs: ${error.message}`);
      },
    );
    return () => {
      stop();
      cancelAnimationFrame(frame.current);
      frame.current = 0;
      clearTimeout(repaintTimer.current);
      repaintTimer.current = undefined;
    };
  }, [buffer, view, targetKey, tail, since, until, notify, scheduleRender]);

  useEffect(() => {
    try {
      view.setFilter(filter);
      setFilterError('');
    } catch (error) {
      setFilterError((error as Error).message);
      view.setFilter({ ...filter, query: '' });
    }
    setCurrent(-1);
    setVersion((value) => value + 1);
  }, [filter, view]);

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const observer = new ResizeObserver(() =>
      setViewport({ top: element.scrollTop, height: element.clientHeight }),
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const count = view.count;
  // Follow: stick to the end after each render while following.
  useEffect(() => {
    const element = scroller.current;
    if (!element || !following) return;
    element.scrollTop = element.scrollHeight;
  }, [version, following, count]);

  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    const top = element.scrollTop;
    const atEnd = top + element.clientHeight >= element.scrollHeight - rowHeight;
    // Only a move up pauses: while following, the content grows under the scroll position
    // between our jump to the end and this event, which must not read as "the user scrolled".
    const movedUp = top < lastTop.current - 1;
    lastTop.current = top;
    if (atEnd && !followingRef.current) {
      followingRef.current = true;
      setFollowing(true);
      setNewLines(0);
    } else if (!atEnd && movedUp && followingRef.current) {
      followingRef.current = false;
      setFollowing(false);
    }
    setViewport({ top, height: element.clientHeight });
  };

  const jumpToEnd = () => {
    followingRef.current = true;
    setFollowing(true);
    setNewLines(0);
    const element = scroller.current;
    if (element) element.scrollTop = element.scrollHeight;
  };

  const goToMatch = (direction: 1 | -1) => {
    const matches = view.matches;
    if (matches.length === 0) return;
    const next =
      current < 0
        ? direction === 1
          ? 0
          : matches.length - 1
        : (current + direction + matches.length) % matches.length;
    setCurrent(next);
    const position = view.positionOf(matches[next]!);
    const element = scroller.current;
    if (element && position >= 0) {
      followingRef.current = false;
      setFollowing(false);
      element.scrollTop = Math.max(0, position * rowHeight - element.clientHeight / 2);
    }
  };

  const download = (filtered: boolean) => {
    const source = filtered ? view : new LogView(buffer);
    const blob = new Blob([source.toText(showTime)], { type: 'text/plain' });
    const url = URL.createObjectURL(blob);
    const anchor = document.createElement('a');
    anchor.href = url;
    anchor.download = `${fileName}${filtered ? '-filtered' : ''}.log`;
    anchor.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  const visibleRows = Math.ceil(viewport.height / rowHeight) + 1;
  const atEnd = following || viewport.top + viewport.height >= count * rowHeight - rowHeight;
  const first = atEnd
    ? Math.max(0, count - visibleRows)
    : Math.min(Math.floor(viewport.top / rowHeight), Math.max(0, count - 1));
  const last = Math.min(count, first + visibleRows);
  const currentLine = current >= 0 ? view.matches[current] : undefined;
  const rows = [];
  for (let position = first; position < last; position++) {
    const line = view.lineAt(position);
    rows.push(
      <LogLineView
        key={line}
        text={buffer.text(line)}
        plain={buffer.plain(line)}
        time={buffer.time(line)}
        stderr={buffer.isStderr(line)}
        level={buffer.level(line)}
        source={buffer.source(line)}
        sourceIndex={buffer.sourceIndexOf(line)}
        showTime={showTime}
        pattern={view.highlight}
        current={line === currentLine}
      />,
    );
  }
  const update = (patch: Partial<LogFilter>) => setFilter((value) => ({ ...value, ...patch }));

  return (
    <div className="logs-panel" data-testid="logs-panel">
      <div className="logs-toolbar">
        <input
          type="search"
          placeholder={filter.regex ? 'Regular expression' : 'Search'}
          aria-label="Search logs"
          data-testid="logs-search"
          value={filter.query}
          onChange={(event) => update({ query: event.target.value })}
          onKeyDown={(event) => {
            if (event.key === 'Enter') goToMatch(event.shiftKey ? -1 : 1);
          }}
        />
        <Toggle
          checked={filter.regex}
          testId="logs-regex"
          onChange={(value) => update({ regex: value })}
        >
          .*
        </Toggle>
        <Toggle
          checked={filter.caseSensitive}
          onChange={(value) => update({ caseSensitive: value })}
        >
          Aa
        </Toggle>
        <button
          type="button"
          className="small"
          data-testid="logs-prev"
          onClick={() => goToMatch(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          className="small"
          data-testid="logs-next"
          onClick={() => goToMatch(1)}
        >
          ↓
        </button>
        <span className="muted" data-testid="logs-match-count">
          {filterError ||
            (filter.query
              ? `${current >= 0 ? current + 1 : 0}/${view.matches.length} matches`
              : '')}
        </span>
        <Toggle
          checked={filter.onlyMatches}
          testId="logs-only-matches"
          onChange={(value) => update({ onlyMatches: value })}
        >
          Only matches
        </Toggle>
        <Toggle
          checked={filter.stdout}
          testId="logs-stdout"
          onChange={(value) => update({ stdout: value })}
        >
          stdout
        </Toggle>
        <Toggle
          checked={filter.stderr}
          testId="logs-stderr"
          onChange={(value) => update({ stderr: value })}
        >
          stderr
        </Toggle>
        {(buffer.structuredLines > 0 || filter.level !== 'all') && (
          <label title="Structured (JSON or logfmt) lines: show this level and more severe">
            Level
            <select
              value={filter.level}
              data-testid="logs-level"
              onChange={(event) => update({ level: event.target.value as LevelFilter })}
            >
              <option value="all">all lines</option>
              {logLevels.map((level) => (
                <option key={level} value={level}>
                  {level === 'error' ? 'error' : `${level} and above`}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div className="logs-toolbar">
        <label>
          Tail
          <select
            value={tail}
            data-testid="logs-tail"
            onChange={(event) => setTail(event.target.value as (typeof tailChoices)[number])}
          >
            {tailChoices.map((choice) => (
              <option key={choice} value={choice}>
                {choice}
              </option>
            ))}
          </select>
        </label>
        <label>
          Since
          <input
            type="datetime-local"
            step={1}
            value={since}
            onChange={(event) => setSince(event.target.value)}
          />
        </label>
        <label>
          Until
          <input
            type="datetime-local"
            step={1}
            value={until}
            onChange={(event) => setUntil(event.target.value)}
          />
        </label>
        <Toggle checked={showTime} testId="logs-timestamps" onChange={setShowTime}>
          Timestamps
        </Toggle>
        <Toggle checked={wrap} testId="logs-wrap" onChange={setWrap}>
          Wrap
        </Toggle>
        <button
          type="button"
          className="small"
          data-testid="logs-download"
          onClick={() => download(false)}
        >
          Download
        </button>
        <button
          type="button"
          className="small"
          data-testid="logs-download-filtered"
          onClick={() => download(true)}
        >
          Download shown
        </button>
        <span
          className="muted"
          data-testid="logs-line-count"
          data-count={count}
          data-received={buffer.end}
        >
          {count.toLocaleString()} lines
          {buffer.base > 0 ? ` (oldest ${buffer.base.toLocaleString()} dropped)` : ''}
          {streamState === 'ended' ? ' · stream ended' : ''}
        </span>
      </div>
      <div
        className={`log-scroller${wrap ? ' wrap' : ''}`}
        ref={scroller}
        onScroll={onScroll}
        data-testid="logs-scroller"
        data-following={following}
        tabIndex={0}
      >
        <div
          className={`log-window${atEnd ? ' at-end' : ''}`}
          style={
            {
              height: viewport.height,
              // Merged logs: one column width for every container tag, so the text lines up.
              '--source-width': `${Math.min(24, Math.max(0, ...buffer.sourceNames.map((name) => name.length)))}ch`,
            } as React.CSSProperties
          }
          data-version={version}
        >
          {rows}
        </div>
        <div style={{ height: Math.max(0, count * rowHeight - viewport.height) }} />
      </div>
      {!following && (
        <button
          type="button"
          className="new-lines primary"
          data-testid="logs-jump"
          onClick={jumpToEnd}
        >
          {newLines > 0 ? `${newLines.toLocaleString()} new lines — ` : ''}Jump to end ↓
        </button>
      )}
    </div>
  );
}
