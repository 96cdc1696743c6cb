// "Under the hood": what isolates this container — namespaces, cgroup, capabilities, seccomp,
// filesystem, interfaces — each with one line saying what it means, and risky settings flagged.
import { useEffect, useState } from 'react';
import type { ServiceErrorData } from '../../../shared/errors';
import type { ContainerSummary } from '../../../shared/types';
import type { IsolationReport } from '../../../shared/workbench-types';
import { api } from '../../client/connection';
import { ErrorPanel } from '../../components/ErrorPanel';
import { toErrorData } from '../../stores/resource-slice';
import { RiskList } from './RiskList';

export function IsolationPanel({ container }: { container: ContainerSummary }) {
  const [report, setReport] = useState<IsolationReport>();
  const [error, setError] = useState<ServiceErrorData>();
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    setError(undefined);
    api.inspect.isolation({ id: container.id }).then(
      (value) => live && setReport(value),
      (failure: unknown) => live && setError(toErrorData(failure)),
    );
    return () => {
      live = false;
    };
  }, [container.id, container.state, reload]);

  if (error)
    return (
      <ErrorPanel
        title="Could not read the isolation"
        error={error}
        onRetry={() => setReload(reload + 1)}
      />
    );
  if (!report)
    return <p className="muted">Reading from the engine and from inside the container…</p>;
  return (
    <div className="isolation-panel" data-testid="isolation-panel">
      <p className="muted">
        A container is not one kernel object: it is a process tree that namespaces, a cgroup,
        capabilities and a syscall filter together fence in. This is what fences in this one.
      </p>
      <h3>Risky settings</h3>
      <RiskList risks={report.risks} />
      <p className="muted" data-testid="capabilities" data-source={report.capabilities.source}>
        Effective capabilities ({report.capabilities.effective.length},{' '}
        {report.capabilities.source === 'proc' ? 'read from /proc/1/status' : 'from configuration'}
        ):{' '}
        <code data-testid="capability-list">
          {report.capabilities.effective.join(' ') || 'none'}
        </code>
        {report.capabilities.note ? ` — ${report.capabilities.note}` : ''}
      </p>
      {report.sections.map((section) => (
        <section key={section.title} className="isolation-section">
          <h3>{section.title}</h3>
          <table>
            <tbody>
              {section.items.map((item) => (
                <tr key={item.label} className={item.flagged ? 'flagged' : ''}>
                  <th>{item.label}</th>
                  <td>
                    <div className="value">{item.value}</div>
                    <div className="muted small-text">{item.explanation}</div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </div>
  );
}
