// Merged logs of a compose project: every container's lines in one viewer, each tagged with its
// container (and coloured), with the same follow, search, filters and download as one container.
import { useMemo } from 'react';
import { useBerth } from '../../stores/store';
import { LogsPanel } from './LogsPanel';

export function ProjectLogs({ project }: { project: string }) {
  const close = useBerth((state) => state.closeProjectLogs);
  const items = useBerth((state) => state.containers.items);
  const members = useMemo(
    () => items.filter((container) => container.composeProject === project),
    [items, project],
  );
  const running = members.filter((container) => container.state === 'running').length;
  return (
    <div className="details" data-testid="project-logs">
      <header className="page-header">
        <button type="button" className="small" data-testid="project-logs-back" onClick={close}>
          ← Containers
        </button>
        <h1>{project}</h1>
        <span className="badge">compose</span>
        <span className="muted">
          merged logs of {members.length} containers · {running} running
        </span>
      </header>
      <div className="tab-body" data-testid="tab-body-project-logs">
        <LogsPanel target={{ kind: 'project', project }} />
      </div>
    </div>
  );
}
