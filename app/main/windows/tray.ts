// The tray: engine status at a glance and quick actions from the command registry.
import type { MenuItemConstructorOptions } from 'electron';
import { commands, type CommandId } from '../../shared/commands';
import type { EngineStatus } from '../../shared/types';

export function engineStatusLabel(status: EngineStatus | undefined): string {
  if (!status) return 'Engine: checking…';
  if (status.state === 'connected') {
    const { info } = status;
    return `${status.engine.name}: ${info.version} · ${info.containers.running} running`;
  }
  return `${status.engine.name}: unreachable (${status.message})`;
}

export function buildTrayTemplate(
  status: EngineStatus | undefined,
  actions: { runCommand: (id: CommandId) => void; show: () => void; quit: () => void },
): MenuItemConstructorOptions[] {
  return [
    { label: engineStatusLabel(status), enabled: false },
    { type: 'separator' },
    { label: 'Open Berth Desktop', click: actions.show },
    ...commands
      .filter((command) => command.tray)
      .map((command) => ({ label: command.title, click: () => actions.runCommand(command.id) })),
    { type: 'separator' },
    { label: 'Quit', click: actions.quit },
  ];
}
