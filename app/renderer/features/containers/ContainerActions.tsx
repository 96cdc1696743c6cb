import type { ContainerAction, ContainerSummary } from '../../../shared/types';

export function actionsFor(container: ContainerSummary): ContainerAction[] {
  switch (container.state) {
    case 'running':
      return ['stop', 'restart', 'pause', 'remove'];
    case 'paused':
      return ['unpause', 'stop', 'remove'];
    case 'restarting':
      return ['stop', 'remove'];
    default:
      return ['start', 'remove'];
  }
}

export const actionLabels: Record<ContainerAction, string> = {
  start: 'Start',
  stop: 'Stop',
  restart: 'Restart',
  pause: 'Pause',
  unpause: 'Resume',
  remove: 'Delete',
};

export function ContainerActions({
  container,
  busy,
  onAction,
}: {
  container: ContainerSummary;
  busy: boolean;
  onAction: (action: ContainerAction) => void;
}) {
  return (
    <span className="row-actions">
      {actionsFor(container).map((action) => (
        <button
          key={action}
          type="button"
          className={action === 'remove' ? 'small danger' : 'small'}
          disabled={busy}
          data-testid={`action-${action}-${container.name}`}
          onClick={() => onAction(action)}
        >
          {actionLabels[action]}
        </button>
      ))}
    </span>
  );
}
