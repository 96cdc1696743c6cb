import { useEffect } from 'react';
import { commands, isCommandId, matchesShortcut } from '../../../shared/commands';
import { bridge } from '../../client/electron-channel';
import { useBerth } from '../../stores/store';
import { ContainersPage } from '../containers/ContainersPage';
import { RunDialog } from '../containers/RunDialog';
import { ImagesPage } from '../images/ImagesPage';
import { NetworksPage } from '../networks/NetworksPage';
import { SettingsPage } from '../settings/SettingsPage';
import { VolumesPage } from '../volumes/VolumesPage';
import { runCommand } from './command-actions';
import { CommandPalette } from './CommandPalette';
import { EngineStatusBar } from './EngineStatusBar';
import { Notices } from './Notices';
import { navigate, pages, usePage } from './routes';
import { useTheme } from './use-theme';

const isMac = navigator.platform.toLowerCase().includes('mac');

function useShortcuts(): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const command = commands.find(
        (candidate) => candidate.shortcut && matchesShortcut(candidate.shortcut, event, isMac),
      );
      if (!command) return;
      event.preventDefault();
      runCommand(command.id);
    };
    window.addEventListener('keydown', onKey);
    const electron = bridge();
    const stopMenu = electron?.onCommand((id) => {
      if (isCommandId(id)) runCommand(id);
    });
    return () => {
      window.removeEventListener('keydown', onKey);
      stopMenu?.();
    };
  }, []);
}

export function App() {
  const page = usePage();
  const runDialogOpen = useBerth((state) => state.runDialog.open);
  const theme = useTheme();
  useShortcuts();
  return (
    <div className="app" data-theme={theme}>
      <nav className="sidebar" aria-label="Pages">
        <div className="brand">
          <img src="./berth.svg" alt="" width={22} height={22} /> Berth
        </div>
        {pages.map((entry) => (
          <button
            key={entry.id}
            type="button"
            className={entry.id === page ? 'active' : ''}
            aria-current={entry.id === page ? 'page' : undefined}
            data-testid={`nav-${entry.id}`}
            onClick={() => navigate(entry.id)}
          >
            {entry.title}
          </button>
        ))}
        <button type="button" className="palette-hint" onClick={() => runCommand('view.palette')}>
          {isMac ? '⌘K' : 'Ctrl+K'} Commands
        </button>
      </nav>
      <main>
        <EngineStatusBar />
        <section className="page" data-testid={`page-${page}`}>
          {page === 'containers' && <ContainersPage />}
          {page === 'images' && <ImagesPage />}
          {page === 'volumes' && <VolumesPage />}
          {page === 'networks' && <NetworksPage />}
          {page === 'settings' && <SettingsPage />}
        </section>
      </main>
      {runDialogOpen && <RunDialog />}
      <CommandPalette />
      <Notices />
    </div>
  );
}
