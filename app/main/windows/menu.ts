// The application menu, built from the shared command registry (the palette uses the same list).
import type { MenuItemConstructorOptions } from 'electron';
import { commands, type CommandDescriptor, type CommandId } from '../../shared/commands';

export function buildMenuTemplate(
  platform: string,
  runCommand: (id: CommandId) => void,
): MenuItemConstructorOptions[] {
  const groups = new Map<CommandDescriptor['group'], CommandDescriptor[]>();
  for (const command of commands) {
    // The palette's own shortcut is handled in the page; the menu shows it without an accelerator clash.
    const members = groups.get(command.group) ?? [];
    members.push(command);
    groups.set(command.group, members);
  }
  const item = (command: CommandDescriptor): MenuItemConstructorOptions => ({
    label: command.title.replace(/…$/, '...'),
    id: command.id,
    ...(command.shortcut ? { accelerator: command.shortcut } : {}),
    click: () => runCommand(command.id),
  });
  const template: MenuItemConstructorOptions[] = [];
  if (platform === 'darwin') template.push({ role: 'appMenu' });
  template.push({
    label: 'File',
    submenu: [...(groups.get('Containers') ?? []), ...(groups.get('Images') ?? [])]
      .map(item)
      .concat([{ type: 'separator' }, { role: platform === 'darwin' ? 'close' : 'quit' }]),
  });
  template.push({ role: 'editMenu' });
  template.push({
    label: 'View',
    submenu: [
      ...(groups.get('View') ?? []).map(item),
      { type: 'separator' },
      { label: 'Theme', submenu: (groups.get('Theme') ?? []).map(item) },
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { role: 'togglefullscreen' },
    ],
  });
  template.push({ label: 'Go', submenu: (groups.get('Go') ?? []).map(item) });
  template.push({ role: 'windowMenu' });
  return template;
}
