import { memo } from 'react';
import type {
  ContainerAction,
  ContainerStatsSnapshot,
  ContainerSummary,
} from '../../../shared/types';
import { formatAge, formatBytes, formatPercent } from '../../components/format';
import { Sparkline } from '../../components/Sparkline';
import type { StatsTrail } from '../../stores/stats-trail';
import { ContainerActions } from './ContainerActions';

export function PortLinks({ container }: { container: ContainerSummary }) {
  const published = container.ports.filter((port) => port.publicPort);
  if (published.length === 0) return <span className="muted">—</span>;
  return (
    <span className="ports">
      {published.map((port) => {
        const host = !port.ip || port.ip === '0.0.0.0' || port.ip === '::' ? '127.0.0.1' : port.ip;
        const label = `${port.publicPort}→${port.privatePort}/${port.type}`;
        return port.type === 'tcp' ? (
          <a
            key={label}
            href={`http://${host.includes(':') ? `[${host}]` : host}:${port.publicPort}/`}
            target="_blank"
            rel="noreferrer noopener"
          >
            {label}
          </a>
        ) : (
          <span key={label}>{label}</span>
        );
      })}
    </span>
  );
}

/** One container row; memoised so scrolling and stats updates only re-render what changed. */
export const ContainerRowView = memo(function ContainerRowView({
  container,
  grouped,
  stat,
  trail,
  selected,
  busy,
  onToggle,
  onAction,
  onOpen,
}: {
  container: ContainerSummary;
  grouped: boolean;
  stat: ContainerStatsSnapshot | undefined;
  /** Recent CPU/memory points for the sparklines. */
  trail: StatsTrail | undefined;
  selected: boolean;
  busy: boolean;
  onToggle: (id: string, on: boolean) => void;
  onAction: (container: ContainerSummary, action: ContainerAction) => void;
  /** Opens the container's details (terminal, logs, stats, inspect, under the hood). */
  onOpen: (id: string) => void;
}) {
  const running = container.state === 'running';
  return (
    <div
      className={`row container-row${grouped ? ' grouped' : ''}`}
      data-testid={`container-${container.name}`}
      data-state={container.state}
    >
      <input
        type="checkbox"
        aria-label={`Select ${container.name}`}
        checked={selected}
        onChange={(event) => onToggle(container.id, event.target.checked)}
      />
      <span className="cell name" title={container.id}>
        <button
          type="button"
          className="link"
          data-testid={`open-${container.name}`}
          onClick={() => onOpen(container.id)}
        >
          {container.name}
        </button>
      </span>
      <span className="cell image" title={container.image}>
        {container.image}
      </span>
      <span className="cell state">
        <span className={`badge ${container.state}`}>{container.state}</span>
        <span className="muted small-text" title={container.status}>
          {container.status}
        </span>
      </span>
      <span className="cell ports-cell">
        <PortLinks container={container} />
      </span>
      <span className="cell created">{formatAge(container.created)}</span>
      <span className="cell cpu">
        {stat && running && trail && (
          <Sparkline
            values={trail.cpu}
            label={`CPU trend of ${container.name}`}
            testId={`spark-cpu-${container.name}`}
          />
        )}
        <span>{stat && running ? formatPercent(stat.cpuPercent) : '—'}</span>
      </span>
      <span className="cell mem">
        {stat && running && trail && (
          <Sparkline
            values={trail.memory}
            label={`Memory trend of ${container.name}`}
            testId={`spark-mem-${container.name}`}
          />
        )}
        <span>{stat && running ? formatBytes(stat.memoryBytes) : '—'}</span>
      </span>
      <ContainerActions
        container={container}
        busy={busy}
        onAction={(action) => onAction(container, action)}
      />
    </div>
  );
});
