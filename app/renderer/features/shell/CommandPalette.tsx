import { useMemo, useState } from 'react';
import { commands } from '../../../shared/commands';
import { useBerth } from '../../stores/store';
import { runCommand } from './command-actions';

export function CommandPalette() {
  const open = useBerth((state) => state.paletteOpen);
  const setOpen = useBerth((state) => state.setPaletteOpen);
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState(0);
  const matches = useMemo(
    () =>
      commands.filter((command) =>
        command.title.toLowerCase().includes(query.trim().toLowerCase()),
      ),
    [query],
  );
  if (!open) return null;
  const close = () => {
    setOpen(false);
    setQuery('');
    setSelected(0);
  };
  const choose = (index: number) => {
    const command = matches[index];
    close();
    if (command) runCommand(command.id);
  };
  return (
    <div
      className="dialog-backdrop"
      onMouseDown={(event) => event.target === event.currentTarget && close()}
    >
      <div className="palette" role="dialog" aria-label="Command palette">
        <input
          autoFocus
          placeholder="Type a command…"
          value={query}
          aria-label="Command"
          onChange={(event) => {
            setQuery(event.target.value);
            setSelected(0);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Escape') close();
            else if (event.key === 'ArrowDown')
              setSelected((index) => Math.min(matches.length - 1, index + 1));
            else if (event.key === 'ArrowUp') setSelected((index) => Math.max(0, index - 1));
            else if (event.key === 'Enter') choose(selected);
          }}
        />
        <ul role="listbox">
          {matches.map((command, index) => (
            <li
              key={command.id}
              role="option"
              aria-selected={index === selected}
              className={index === selected ? 'selected' : ''}
              onMouseEnter={() => setSelected(index)}
              onMouseDown={(event) => {
                event.preventDefault();
                choose(index);
              }}
            >
              <span>{command.title}</span>
              {command.shortcut && <kbd>{command.shortcut.replace('CmdOrCtrl', 'Ctrl')}</kbd>}
            </li>
          ))}
          {matches.length === 0 && <li className="muted">No command matches</li>}
        </ul>
      </div>
    </div>
  );
}
