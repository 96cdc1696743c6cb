// One xterm.js view attached to a session that lives in main. Mounting re-attaches (main replays
// its buffer first), unmounting only detaches: the shell keeps running across tab switches.
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { subscribe } from '../../shared/rpc/client';
import type { TerminalEvent, TerminalSessionInfo } from '../../shared/workbench-types';
import { api } from '../client/connection';
import { openExternalLink } from '../client/external-link';
import { toErrorData } from '../stores/resource-slice';
import { useBerth } from '../stores/store';
import { TerminalSearchBar } from './TerminalSearchBar';
import { xtermThemes } from './xterm-theme';

const inputChunk = 32 * 1024;

/** Tests read the xterm buffer through this registry (term.buffer.active). */
function registry(): Map<string, Terminal> {
  const holder = window as unknown as { berthTerminals?: Map<string, Terminal> };
  holder.berthTerminals ??= new Map();
  return holder.berthTerminals;
}

export function TerminalView({
  session,
  theme,
}: {
  session: TerminalSessionInfo;
  theme: 'light' | 'dark';
}) {
  const host = useRef<HTMLDivElement>(null);
  const terminal = useRef<Terminal | undefined>(undefined);
  const [search, setSearch] = useState<SearchAddon | undefined>();
  const [searchOpen, setSearchOpen] = useState(false);
  const markExited = useBerth((state) => state.markSessionExited);
  const notify = useBerth((state) => state.notify);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 13,
      scrollback: 10_000,
      theme: xtermThemes[theme],
      // The search addon's match highlights are decorations, still a proposed API.
      allowProposedApi: true,
    });
    terminal.current = term;
    const fit = new FitAddon();
    term.loadAddon(fit);
    const searchAddon = new SearchAddon();
    term.loadAddon(searchAddon);
    setSearch(searchAddon);
    // URLs in the output are clickable; only http(s) leaves the app, through the safe path.
    term.loadAddon(
      new WebLinksAddon((event, uri) => {
        event.preventDefault();
        if (!openExternalLink(uri)) notify('error', `Not opening ${uri}: only http(s) links`);
      }),
    );
    term.open(element);
    registry().set(session.id, term);

    const send = (data: string) => {
      for (let offset = 0; offset < data.length; offset += inputChunk) {
        api.terminal
          .input({ id: session.id, data: data.slice(offset, offset + inputChunk) })
          .catch((error: unknown) => notify('error', `Terminal: ${toErrorData(error).message}`));
      }
    };
    const copy = () => {
      const selection = term.getSelection();
      if (selection) void navigator.clipboard.writeText(selection);
    };
    // term.paste wraps the text in bracketed-paste markers when the shell asked for them.
    const paste = () =>
      void navigator.clipboard.readText().then(
        (text) => term.paste(text),
        () => notify('error', 'Paste: the browser refused clipboard access'),
      );
    term.attachCustomKeyEventHandler((event) => {
      if (event.type !== 'keydown' || !event.shiftKey || !(event.ctrlKey || event.metaKey))
        return true;
      if (event.code === 'KeyC') {
        copy();
        return false;
      }
      if (event.code === 'KeyV') {
        paste();
        return false;
      }
      if (event.code === 'KeyF') {
        setSearchOpen(true);
        return false;
      }
      return true;
    });
    const onContextMenu = (event: MouseEvent) => {
      event.preventDefault();
      if (term.hasSelection()) {
        copy();
        term.clearSelection();
      } else paste();
    };
    element.addEventListener('contextmenu', onContextMenu);
    const dataListener = term.onData(send);

    let resizeTimer: ReturnType<typeof setTimeout> | undefined;
    const sendSize = () =>
      api.terminal.resize({ id: session.id, cols: term.cols, rows: term.rows }).catch(() => {
        // The session ended meanwhile; the exit state says so.
      });
    const resizeListener = term.onResize(() => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(sendSize, 50);
    });
    const observer = new ResizeObserver(() => {
      if (element.clientWidth > 0 && element.clientHeight > 0) fit.fit();
    });
    observer.observe(element);
    fit.fit();
    void sendSize();

    const stop = subscribe<TerminalEvent>(
      (options) => api.terminal.attach({ id: session.id }, options),
      (event) => {
        // Acknowledged once xterm has parsed it: a flood waits in main (which pauses the
        // engine stream) instead of in xterm's write queue, where it would freeze the page.
        if (event.kind === 'data')
          return new Promise<void>((resolve) => term.write(event.data, resolve));
        markExited(session.id, event.exitCode);
        return undefined;
      },
      (error) => {
        if (error) notify('error', `Terminal detached: ${error.message}`);
      },
    );
    term.focus();
    return () => {
      stop();
      clearTimeout(resizeTimer);
      observer.disconnect();
      element.removeEventListener('contextmenu', onContextMenu);
      dataListener.dispose();
      resizeListener.dispose();
      registry().delete(session.id);
      setSearch(undefined);
      term.dispose();
      terminal.current = undefined;
    };
    // The theme is applied by the effect below without re-attaching.
  }, [session.id, markExited, notify]);

  useEffect(() => {
    if (terminal.current) terminal.current.options.theme = xtermThemes[theme];
  }, [theme]);

  const closeSearch = () => {
    setSearchOpen(false);
    terminal.current?.focus();
  };
  return (
    <>
      <div className="terminal-host" ref={host} data-testid={`terminal-${session.id}`} />
      {searchOpen && search ? (
        <TerminalSearchBar search={search} theme={theme} onClose={closeSearch} />
      ) : (
        <button
          type="button"
          className="small terminal-find"
          title="Find (Ctrl+Shift+F)"
          data-testid="terminal-find"
          onClick={() => setSearchOpen(true)}
        >
          Find
        </button>
      )}
    </>
  );
}
