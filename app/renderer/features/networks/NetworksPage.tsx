import { useState } from 'react';
import type { NetworkSummary } from '../../../shared/types';
import { api } from '../../client/connection';
import { ErrorPanel } from '../../components/ErrorPanel';
import { toErrorData } from '../../stores/resource-slice';
import { useBerth } from '../../stores/store';

function ConnectControl({ network }: { network: NetworkSummary }) {
  const containers = useBerth((state) => state.containers.items);
  const notify = useBerth((state) => state.notify);
  const [choice, setChoice] = useState('');
  const connected = new Set(network.containers.map((container) => container.id));
  const candidates = containers.filter((container) => !connected.has(container.id));
  if (network.name === 'host' || network.name === 'none' || candidates.length === 0) return null;
  return (
    <span className="connect-control">
      <select
        aria-label={`Container to connect to ${network.name}`}
        value={choice}
        onChange={(event) => setChoice(event.target.value)}
      >
        <option value="">Connect…</option>
        {candidates.map((container) => (
          <option key={container.id} value={container.id}>
            {container.name}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="small"
        disabled={!choice}
        onClick={() => {
          api.networks.connect({ id: network.id, container: choice }).then(
            () => notify('success', `Connected to ${network.name}`),
            (problem: unknown) => notify('error', toErrorData(problem).message),
          );
          setChoice('');
        }}
      >
        Connect
      </button>
    </span>
  );
}

export function NetworksPage() {
  const resource = useBerth((state) => state.networks);
  const refresh = useBerth((state) => state.refresh);
  const notify = useBerth((state) => state.notify);
  const [name, setName] = useState('');
  const [subnet, setSubnet] = useState('');
  const [internal, setInternal] = useState(false);

  const guarded = (work: Promise<unknown>, success: string) =>
    work.then(
      () => notify('success', success),
      (problem: unknown) => notify('error', toErrorData(problem).message),
    );

  return (
    <div className="resource-page">
      <header className="page-header">
        <h1>Networks</h1>
        <form
          className="toolbar"
          onSubmit={(event) => {
            event.preventDefault();
            if (!name.trim()) return;
            void guarded(
              api.networks.create({
                name: name.trim(),
                ...(subnet.trim() ? { subnet: subnet.trim() } : {}),
                internal,
              }),
              `Created network ${name.trim()}`,
            ).then(() => {
              setName('');
              setSubnet('');
            });
          }}
        >
          <input
            placeholder="Network name"
            aria-label="Network name"
            data-testid="network-name"
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
          <input
            placeholder="Subnet (optional, 10.20.0.0/24)"
            aria-label="Subnet"
            value={subnet}
            onChange={(event) => setSubnet(event.target.value)}
          />
          <label className="inline">
            <input
              type="checkbox"
              checked={internal}
              onChange={(event) => setInternal(event.target.checked)}
            />{' '}
            Internal
          </label>
          <button type="submit" className="primary" data-testid="network-create">
            Create
          </button>
        </form>
      </header>
      {resource.error && (
        <ErrorPanel
          title="Could not list networks"
          error={resource.error}
          onRetry={() => void refresh('networks')}
        />
      )}
      {!resource.error && resource.items.length > 0 && (
        <div className="scroll-area">
          <table className="simple-table" data-testid="networks-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Driver</th>
                <th>Subnet</th>
                <th>Containers</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {resource.items.map((network) => (
                <tr key={network.id} data-testid={`network-${network.name}`}>
                  <td>
                    {network.name}
                    {network.internal && <span className="badge">internal</span>}
                  </td>
                  <td>{network.driver}</td>
                  <td>{network.subnets.join(', ') || <span className="muted">—</span>}</td>
                  <td>
                    {network.containers.length === 0 && <span className="muted">none</span>}
                    {network.containers.map((container) => (
                      <div
                        key={container.id}
                        className="attached"
                        data-testid={`attached-${container.name}`}
                      >
                        {container.name} <span className="muted">{container.ipv4}</span>
                        <button
                          type="button"
                          className="small"
                          onClick={() =>
                            void guarded(
                              api.networks.disconnect({ id: network.id, container: container.id }),
                              `Disconnected ${container.name}`,
                            )
                          }
                        >
                          Disconnect
                        </button>
                      </div>
                    ))}
                  </td>
                  <td className="row-actions">
                    <ConnectControl network={network} />
                    {!network.builtIn && (
                      <button
                        type="button"
                        className="small danger"
                        data-testid={`remove-network-${network.name}`}
                        onClick={() =>
                          void guarded(
                            api.networks.remove({ id: network.id }),
                            `Removed network ${network.name}`,
                          )
                        }
                      >
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
