import { useState } from 'react';
import type { Theme } from '../../../shared/types';
import { api } from '../../client/connection';
import { toErrorData } from '../../stores/resource-slice';
import { useBerth } from '../../stores/store';

function EnginesSection() {
  const { engines, activeId } = useBerth((state) => state.engines);
  const refreshEngines = useBerth((state) => state.refreshEngines);
  const refreshAll = useBerth((state) => state.refreshAll);
  const notify = useBerth((state) => state.notify);
  const [name, setName] = useState('');
  const [endpoint, setEndpoint] = useState('');

  const activate = async (id: string) => {
    try {
      await api.engine.setActive({ id });
      await refreshEngines();
      await refreshAll();
    } catch (problem) {
      notify('error', toErrorData(problem).message);
    }
  };
  const add = async () => {
    try {
      await api.engine.add({ name: name.trim(), endpoint: endpoint.trim() });
      setName('');
      setEndpoint('');
      await refreshEngines();
    } catch (problem) {
      notify('error', toErrorData(problem).message);
    }
  };
  return (
    <section className="settings-section">
      <h2>Engines</h2>
      <table className="simple-table" data-testid="engines-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Endpoint</th>
            <th>Source</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {engines.map((engine) => (
            <tr key={engine.id} data-testid={`engine-${engine.id}`}>
              <td>{engine.name}</td>
              <td>
                <code>{engine.endpoint}</code>
              </td>
              <td>{engine.kind}</td>
              <td className="row-actions">
                {engine.id === activeId ? (
                  <span className="badge running">active</span>
                ) : (
                  <button
                    type="button"
                    className="small"
                    data-testid={`activate-${engine.id}`}
                    onClick={() => void activate(engine.id)}
                  >
                    Use
                  </button>
                )}
                {engine.kind === 'manual' && (
                  <button
                    type="button"
                    className="small danger"
                    onClick={() =>
                      api.engine
                        .remove({ id: engine.id })
                        .then(refreshEngines, (problem: unknown) =>
                          notify('error', toErrorData(problem).message),
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
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          void add();
        }}
      >
        <input
          placeholder="Name"
          aria-label="Engine name"
          data-testid="engine-add-name"
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <input
          placeholder="unix:///path.sock, tcp://host:2376, ssh://user@host"
          aria-label="Engine endpoint"
          data-testid="engine-add-endpoint"
          value={endpoint}
          onChange={(event) => setEndpoint(event.target.value)}
        />
        <button type="submit" data-testid="engine-add">
          Add engine
        </button>
      </form>
    </section>
  );
}

export function SettingsPage() {
  const settings = useBerth((state) => state.settings);
  const updateSettings = useBerth((state) => state.updateSettings);
  const [shell, setShell] = useState<string | undefined>();
  if (!settings) return <p className="muted">Loading settings…</p>;
  return (
    <div className="resource-page settings-page">
      <header className="page-header">
        <h1>Settings</h1>
      </header>
      <EnginesSection />
      <section className="settings-section">
        <h2>Appearance</h2>
        <div className="segmented" role="radiogroup" aria-label="Theme">
          {(['light', 'dark', 'system'] as Theme[]).map((theme) => (
            <label key={theme}>
              <input
                type="radio"
                name="theme"
                value={theme}
                data-testid={`theme-${theme}`}
                checked={settings.theme === theme}
                onChange={() => void updateSettings({ theme })}
              />
              {theme === 'system' ? 'Follow system' : theme[0]!.toUpperCase() + theme.slice(1)}
            </label>
          ))}
        </div>
      </section>
      <section className="settings-section">
        <h2>Terminal</h2>
        <form
          className="toolbar"
          onSubmit={(event) => {
            event.preventDefault();
            if (shell?.trim()) void updateSettings({ defaultShell: shell.trim() });
          }}
        >
          <label className="inline">
            Default shell
            <input
              aria-label="Default shell"
              data-testid="default-shell"
              value={shell ?? settings.defaultShell}
              onChange={(event) => setShell(event.target.value)}
            />
          </label>
          <button type="submit">Save</button>
        </form>
      </section>
    </div>
  );
}
