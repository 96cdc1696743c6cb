// The container workbench: one container's details with tabs. Which container and tab are open
// lives in the store, so leaving the page and coming back lands on the same place.
import type { ContainerSummary } from '../../../shared/types';
import { TerminalPanel } from '../../terminal/TerminalPanel';
import { useBerth } from '../../stores/store';
import type { WorkbenchTab } from '../../stores/workbench-slice';
import { useTheme } from '../shell/use-theme';
import { FilesPanel } from './FilesPanel';
import { InspectPanel } from './InspectPanel';
import { IsolationPanel } from './IsolationPanel';
import { LogsPanel } from './LogsPanel';
import { StatsPanel } from './StatsPanel';

const tabs: { id: WorkbenchTab; title: string }[] = [
  { id: 'terminal', title: 'Terminal' },
  { id: 'logs', title: 'Logs' },
  { id: 'stats', title: 'Stats' },
  { id: 'inspect', title: 'Inspect' },
  { id: 'files', title: 'Files' },
  { id: 'hood', title: 'Under the hood' },
];

export function ContainerDetails({ container }: { container: ContainerSummary }) {
  const tab = useBerth((state) => state.details?.tab ?? 'terminal');
  const setTab = useBerth((state) => state.setTab);
  const close = useBerth((state) => state.closeDetails);
  const theme = useTheme();
  return (
    <div className="details" data-testid="container-details">
      <header className="page-header">
        <button type="button" className="small" data-testid="details-back" onClick={close}>
          ← Containers
        </button>
        <h1 title={container.id}>{container.name}</h1>
        <span className={`badge ${container.state}`}>{container.state}</span>
        <span className="muted">{container.image}</span>
        <span className="muted small-text">{container.status}</span>
      </header>
      <div className="tabs" role="tablist" aria-label="Container details">
        {tabs.map((entry) => (
          <button
            key={entry.id}
            type="button"
            role="tab"
            aria-selected={entry.id === tab}
            className={entry.id === tab ? 'active' : ''}
            data-testid={`tab-${entry.id}`}
            onClick={() => setTab(entry.id)}
          >
            {entry.title}
          </button>
        ))}
      </div>
      <div className="tab-body" data-testid={`tab-body-${tab}`}>
        {tab === 'terminal' && <TerminalPanel container={container} theme={theme} />}
        {tab === 'logs' && (
          <LogsPanel target={{ kind: 'container', id: container.id, name: container.name }} />
        )}
        {tab === 'stats' && <StatsPanel container={container} />}
        {tab === 'inspect' && <InspectPanel container={container} />}
        {tab === 'files' && <FilesPanel container={container} />}
        {tab === 'hood' && <IsolationPanel container={container} />}
      </div>
    </div>
  );
}
