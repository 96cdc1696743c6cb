import { describe, expect, it } from 'vitest';
import { commands, isCommandId, matchesShortcut } from './commands';

const key = (
  key: string,
  modifiers: Partial<{
    ctrlKey: boolean;
    metaKey: boolean;
    shiftKey: boolean;
    altKey: boolean;
  }> = {},
) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...modifiers,
});

describe('command registry', () => {
  it('has unique ids and unique shortcuts', () => {
    expect(new Set(commands.map((command) => command.id)).size).toBe(commands.length);
    const shortcuts = commands.flatMap((command) => (command.shortcut ? [command.shortcut] : []));
    expect(new Set(shortcuts).size).toBe(shortcuts.length);
  });

  it('maps CmdOrCtrl to Ctrl off macOS and to Cmd on macOS', () => {
    expect(matchesShortcut('CmdOrCtrl+K', key('k', { ctrlKey: true }), false)).toBe(true);
    expect(matchesShortcut('CmdOrCtrl+K', key('k', { metaKey: true }), false)).toBe(false);
    expect(matchesShortcut('CmdOrCtrl+K', key('k', { metaKey: true }), true)).toBe(true);
    expect(
      matchesShortcut('CmdOrCtrl+Shift+R', key('R', { ctrlKey: true, shiftKey: true }), false),
    ).toBe(true);
    expect(matchesShortcut('CmdOrCtrl+Shift+R', key('r', { ctrlKey: true }), false)).toBe(false);
  });

  it('recognises its own ids only', () => {
    expect(isCommandId('view.palette')).toBe(true);
    expect(isCommandId('rm -rf')).toBe(false);
    expect(isCommandId(42)).toBe(false);
  });
});
