import { formatBytes } from '../../components/format';
import { useBerth } from '../../stores/store';

/** The active engine in one line: what it is, or exactly why it cannot be reached. */
export function EngineStatusBar() {
  const status = useBerth((state) => state.engineStatus);
  const connection = useBerth((state) => state.connection);
  if (connection.state !== 'open') {
    return (
      <div className="engine-status unreachable" data-testid="engine-status" role="status">
        <span className="dot" />
        {connection.state === 'connecting'
          ? 'Connecting to Berth…'
          : `Connection to Berth lost: ${connection.detail}. Reconnecting…`}
      </div>
    );
  }
  if (!status)
    return (
      <div className="engine-status" data-testid="engine-status">
        Checking engine…
      </div>
    );
  if (status.state === 'unreachable') {
    return (
      <div
        className="engine-status unreachable"
        data-testid="engine-status"
        data-state="unreachable"
        role="alert"
      >
        <span className="dot" />
        <strong>{status.engine.name} is unreachable</strong>
        <span data-testid="engine-reason">{status.message}</span>
        {status.hint && <span className="hint">{status.hint}</span>}
      </div>
    );
  }
  const { info, engine } = status;
  return (
    <div
      className="engine-status connected"
      data-testid="engine-status"
      data-state="connected"
      role="status"
    >
      <span className="dot" />
      <strong>{engine.name}</strong>
      <span data-testid="engine-version">
        {info.serverName.includes(info.version)
          ? info.serverName
          : `${info.serverName} ${info.version}`}{' '}
        · API {info.apiVersion}
      </span>
      <span data-testid="engine-os">
        {info.os} ({info.osType}/{info.arch})
      </span>
      <span>
        {info.cpus} CPUs · {formatBytes(info.memoryBytes)}
      </span>
      <span>
        {info.containers.running}/{info.containers.total} running · {info.images} images
      </span>
    </div>
  );
}
