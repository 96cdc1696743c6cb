// The Inspect tab: a structured summary (secrets masked), risky settings, exit forensics when
// the container stopped, and the raw JSON.
import { useEffect, useState } from 'react';
import type { ServiceErrorData } from '../../../shared/errors';
import type { ContainerSummary } from '../../../shared/types';
import type { ContainerInspection } from '../../../shared/workbench-types';
import { api } from '../../client/connection';
import { ErrorPanel } from '../../components/ErrorPanel';
import { toErrorData } from '../../stores/resource-slice';
import { RiskList } from './RiskList';

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children || <span className="muted">—</span>}</dd>
    </>
  );
}

export function InspectPanel({ container }: { container: ContainerSummary }) {
  const [data, setData] = useState<ContainerInspection>();
  const [error, setError] = useState<ServiceErrorData>();
  const [raw, setRaw] = useState(false);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    setError(undefined);
    api.inspect.container({ id: container.id }).then(
      (value) => live && setData(value),
      (failure: unknown) => live && setError(toErrorData(failure)),
    );
    return () => {
      live = false;
    };
  }, [container.id, container.state, reload]);

  if (error)
    return (
      <ErrorPanel title="Could not inspect" error={error} onRetry={() => setReload(reload + 1)} />
    );
  if (!data) return <p className="muted">Loading…</p>;
  const { summary, forensics } = data;
  return (
    <div className="inspect-panel" data-testid="inspect-panel">
      <div className="toolbar">
        <button
          type="button"
          className={`small${raw ? '' : ' primary'}`}
          onClick={() => setRaw(false)}
        >
          Summary
        </button>
        <button
          type="button"
          className={`small${raw ? ' primary' : ''}`}
          data-testid="inspect-raw"
          onClick={() => setRaw(true)}
        >
          Raw JSON
        </button>
      </div>
      {raw ? (
        <pre className="raw-json" data-testid="inspect-json">
          {JSON.stringify(data.raw, null, 2)}
        </pre>
      ) : (
        <>
          {forensics && (
            <section className="forensics" data-testid="exit-forensics">
              <h3>Why it stopped</h3>
              <p>
                Exit code <strong>{forensics.exitCode}</strong>: {forensics.meaning}
                {forensics.oomKilled ? ' — OOMKilled' : ''}
              </p>
              <p className="muted">
                Restarted {forensics.restartCount} times
                {forensics.finishedAt ? ` · finished ${forensics.finishedAt}` : ''}
                {forensics.error ? ` · engine error: ${forensics.error}` : ''}
              </p>
              {forensics.lastLogLines.length > 0 && (
                <pre className="last-lines">{forensics.lastLogLines.join('\n')}</pre>
              )}
            </section>
          )}
          <dl className="summary-grid">
            <Row label="Image">
              {summary.image} <span className="muted">{summary.imageId.slice(7, 19)}</span>
            </Row>
            <Row label="Entrypoint">{summary.entrypoint.join(' ')}</Row>
            <Row label="Command">{summary.command.join(' ')}</Row>
            <Row label="Working dir">{summary.workdir}</Row>
            <Row label="User">{summary.user || 'root (default)'}</Row>
            <Row label="Restart policy">
              {summary.restartPolicy} · restarted {summary.restartCount} times
            </Row>
            <Row label="Health">
              {summary.health
                ? `${summary.health.status} (failing streak ${summary.health.failingStreak})`
                : 'no health check'}
            </Row>
            <Row label="Ports">
              {summary.ports
                .map((port) => `${port.host || 'not published'} → ${port.container}`)
                .join(', ')}
            </Row>
            <Row label="Networks">
              {summary.networks
                .map((net) => `${net.name}${net.ipAddress ? ` ${net.ipAddress}` : ''}`)
                .join(', ')}
            </Row>
            <Row label="Mounts">
              {summary.mounts.length > 0 &&
                summary.mounts.map((mount) => (
                  <div key={mount.destination}>
                    {mount.type} {mount.source} → {mount.destination}
                    {mount.readOnly ? ' (ro)' : ''}
                  </div>
                ))}
            </Row>
            <Row label="Environment">
              {summary.env.length > 0 &&
                summary.env.map((entry) => (
                  <div key={entry.name} className="env" data-masked={entry.masked}>
                    <code>
                      {entry.name}={entry.value}
                    </code>
                    {entry.masked && <span className="muted"> (masked)</span>}
                  </div>
                ))}
            </Row>
          </dl>
          {summary.health && summary.health.log.length > 0 && (
            <section>
              <h3>Health-check history</h3>
              <ul className="health-log">
                {summary.health.log.map((entry) => (
                  <li key={entry.start}>
                    {entry.start} · exit {entry.exitCode} · {entry.output.trim().slice(0, 200)}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <h3>Risky settings</h3>
          <RiskList risks={data.risks} />
        </>
      )}
    </div>
  );
}
