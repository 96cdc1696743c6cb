// Find in the terminal's scrollback (xterm search addon): plain or regex, case, next/previous,
// "N of M". Enter = next, Shift+Enter = previous, Escape closes and gives focus back.
import type { SearchAddon } from '@xterm/addon-search';
import { useEffect, useRef, useState } from 'react';
import { Toggle } from '../components/Toggle';
import { searchDecorations } from './xterm-theme';

export function TerminalSearchBar({
  search,
  theme,
  onClose,
}: {
  search: SearchAddon;
  theme: 'light' | 'dark';
  onClose: () => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [term, setTerm] = useState('');
  const [regex, setRegex] = useState(false);
  const [caseSensitive, setCaseSensitive] = useState(false);
  const [results, setResults] = useState({ index: -1, count: 0 });
  const [invalid, setInvalid] = useState('');

  useEffect(() => {
    input.current?.focus();
    const listener = search.onDidChangeResults(({ resultIndex, resultCount }) =>
      setResults({ index: resultIndex, count: resultCount }),
    );
    return () => {
      listener.dispose();
      search.clearDecorations();
    };
  }, [search]);

  const find = (direction: 1 | -1, incremental = false) => {
    if (!term) {
      search.clearDecorations();
      setResults({ index: -1, count: 0 });
      return;
    }
    if (regex) {
      try {
        new RegExp(term);
      } catch (error) {
        setInvalid((error as Error).message);
        return;
      }
    }
    setInvalid('');
    const options = {
      regex,
      caseSensitive,
      incremental,
      decorations: searchDecorations[theme],
    };
    if (direction === 1) search.findNext(term, options);
    else search.findPrevious(term, options);
  };

  // Search as you type (incremental keeps the current match when it still matches).
  useEffect(() => {
    find(1, true);
  }, [term, regex, caseSensitive]);

  return (
    <div className="terminal-search" data-testid="terminal-search">
      <input
        ref={input}
        type="search"
        aria-label="Find in terminal"
        placeholder={regex ? 'Regular expression' : 'Find'}
        data-testid="terminal-search-input"
        value={term}
        onChange={(event) => setTerm(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter') {
            event.preventDefault();
            find(event.shiftKey ? -1 : 1);
          } else if (event.key === 'Escape') {
            event.preventDefault();
            onClose();
          }
        }}
      />
      <Toggle
        title="Regular expression"
        checked={regex}
        testId="terminal-search-regex"
        onChange={setRegex}
      >
        .*
      </Toggle>
      <Toggle title="Match case" checked={caseSensitive} onChange={setCaseSensitive}>
        Aa
      </Toggle>
      <span className="muted" data-testid="terminal-search-count">
        {invalid ||
          (term ? (results.count ? `${results.index + 1}/${results.count}` : 'no matches') : '')}
      </span>
      <button type="button" className="small" aria-label="Previous match" onClick={() => find(-1)}>
        ↑
      </button>
      <button
        type="button"
        className="small"
        aria-label="Next match"
        data-testid="terminal-search-next"
        onClick={() => find(1)}
      >
        ↓
      </button>
      <button type="button" className="icon" aria-label="Close search" onClick={onClose}>
        ×
      </button>
    </div>
  );
}
