// One command registry: the command palette, keyboard shortcuts, the Electron application menu
// and the tray all list commands from here, so they never disagree.

export type CommandId =
  | 'go.containers'
  | 'go.images'
  | 'go.volumes'
  | 'go.networks'
  | 'go.settings'
  | 'container.run'
  | 'image.pull'
  | 'view.refresh'
  | 'view.palette'
  | 'theme.light'
  | 'theme.dark'
  | 'theme.system';

export interface CommandDescriptor {
  id: CommandId;
  title: string;
  group: 'Go' | 'Containers' | 'Images' | 'View' | 'Theme';
  /** Electron accelerator syntax; the renderer maps CmdOrCtrl to Meta on macOS, Ctrl elsewhere. */
  shortcut?: string;
  /** Shown in the tray menu too. */
  tray?: boolean;
}

export const commands: readonly CommandDescriptor[] = [
  {
    id: 'go.containers',
    title: 'Go to Containers',
    group: 'Go',
    shortcut: 'CmdOrCtrl+1',
    tray: true,
  },
  { id: 'go.images', title: 'Go to Images', group: 'Go', shortcut: 'CmdOrCtrl+2', tray: true },
  { id: 'go.volumes', title: 'Go to Volumes', group: 'Go', shortcut: 'CmdOrCtrl+3' },
  { id: 'go.networks', title: 'Go to Networks', group: 'Go', shortcut: 'CmdOrCtrl+4' },
  { id: 'go.settings', title: 'Open Settings', group: 'Go', shortcut: 'CmdOrCtrl+,' },
  {
    id: 'container.run',
    title: 'Run a container…',
    group: 'Containers',
    shortcut: 'CmdOrCtrl+Shift+R',
    tray: true,
  },
  { id: 'image.pull', title: 'Pull an image…', group: 'Images', shortcut: 'CmdOrCtrl+Shift+P' },
  { id: 'view.refresh', title: 'Refresh everything', group: 'View', shortcut: 'CmdOrCtrl+R' },
  { id: 'view.palette', title: 'Command palette', group: 'View', shortcut: 'CmdOrCtrl+K' },
  { id: 'theme.light', title: 'Theme: light', group: 'Theme' },
  { id: 'theme.dark', title: 'Theme: dark', group: 'Theme' },
  { id: 'theme.system', title: 'Theme: follow the system', group: 'Theme' },
];

export function isCommandId(value: unknown): value is CommandId {
  return typeof value === 'string' && commands.some((command) => command.id === value);
}

/** Does a keyboard event match an accelerator like "CmdOrCtrl+Shift+R"? */
export function matchesShortcut(
  shortcut: string,
  event: { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean },
  isMac: boolean,
): boolean {
  const parts = shortcut.split('+');
  const key = parts.pop()!.toLowerCase();
  const wantsPrimary = parts.includes('CmdOrCtrl');
  const primary = isMac ? event.metaKey : event.ctrlKey;
  return (
    event.key.toLowerCase() === key &&
    primary === wantsPrimary &&
    event.shiftKey === parts.includes('Shift') &&
    event.altKey === parts.includes('Alt')
  );
}
