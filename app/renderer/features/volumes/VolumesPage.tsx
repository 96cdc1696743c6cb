import { useCallback, useEffect, useState } from 'react';
import type { VolumeEntry, VolumeSummary } from '../../../shared/types';
import { api } from '../../client/connection';
import { Dialog } from '../../components/Dialog';
import { ErrorPanel } from '../../components/ErrorPanel';
import { formatBytes } from '../../components/format';
import { toErrorData } from '../../stores/resource-slice';
import { useBerth } from '../../stores/store';

function BrowseDialog({ volume, onClose }: { volume: VolumeSummary; onClose: () => void }) {
  const [path, setPath] = useState('/');
  const [entries, setEntries] = useState<VolumeEntry[] | undefined>();
  const [error, setError] = useState('');
  const load = useCallback(
    (next: string) => {
      setPath(next);
      setEntries(undefined);
      setError('');
      api.volumes
        .browse({ name: volume.name, path: next })
        .then(setEntries, (problem: unknown) => setError(toErrorData(problem).message));
    },
    [volume.name],
  );
  useEffect(() => load('/'), [load]);
  const parent = path === '/' ? undefined : path.replace(/\/[^/]+$/, '') || '/';
  return (
    <Dialog title={`${volume.name}: ${path}`} onClose={onClose} wide>
      <p className="muted">Read-only view through the engine&apos;s archive API.</p>
      {parent && (
        <button type="button" className="small" onClick={() => load(parent)}>
          .. up
        </button>
      )}
      {error && <p className="form-error">{error}</p>}
      {!entries && !error && <p className="muted">Loading…</p>}
      {entries && entries.length === 0 && <p className="muted">Empty directory</p>}
      {entries && entries.length > 0 && (
        <table className="simple-table" data-testid="volume-entries">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Size</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.path}>
                <td>
                  {entry.type === 'directory' ? (
                    <button type="button" className="link" onClick={() => load(entry.path)}>
                      {entry.name}/
                    </button>
                  ) : (
                    entry.name
                  )}
                  {entry.linkTarget && <span className="muted"> → {entry.linkTarget}</span>}
                </td>
                <td>{entry.type}</td>
                <td>{entry.type === 'file' ? formatBytes(entry.size) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Dialog>
  );
}

export function VolumesPage() {
  const resource = useBerth((state) => state.volumes);
  const refresh = useBerth((state) => state.refresh);
  const notify = useBerth((state) => state.notify);
  const [name, setName] = useState('');
  const [browsing, setBrowsing] = useState<VolumeSummary | undefined>();

  const guarded = async (work: () => Promise<string>) => {
    try {
      notify('success', await work());
    } catch (problem) {
      notify('error', toErrorData(problem).message);
    }
  };

  return (
    <div className="resource-page">
      <header className="page-header">
        <h1>Volumes</h1>
        <form
          className="toolbar"
          onSubmit={(event) => {
            event.preventDefault();
            void guarded(async () => {
              const created = await api.volumes.create(name.trim() ? { name: name.trim() } : {});
              setName('');
              return `Created volume ${created.name}`;
            });
          }}
        >
          <input
            placeholder="New volume name (optional)"
            aria-label="Volume name"
            data-testid="volume-name"
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
          <button type="submit" className="primary" data-testid="volume-create">
            Create
          </button>
          <button
            type="button"
            data-testid="volumes-prune"
            onClick={() =>
              void guarded(async () => {
                const result = await api.volumes.prune();
                return `Pruned ${result.deleted.length} volumes, reclaimed ${formatBytes(result.spaceReclaimed)}`;
              })
            }
          >
            Prune unused
          </button>
        </form>
      </header>
      {resource.error && (
        <ErrorPanel
          title="Could not list volumes"
          error={resource.error}
          onRetry={() => void refresh('volumes')}
        />
      )}
      {!resource.error && resource.loaded && resource.items.length === 0 && (
        <p className="empty">No volumes.</p>
      )}
      {!resource.error && resource.items.length > 0 && (
        <div className="scroll-area">
          <table className="simple-table" data-testid="volumes-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Driver</th>
                <th>Size</th>
                <th>In use</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {resource.items.map((volume) => (
                <tr key={volume.name} data-testid={`volume-${volume.name}`}>
                  <td title={volume.mountpoint}>{volume.name}</td>
                  <td>{volume.driver}</td>
                  <td>{formatBytes(volume.size)}</td>
                  <td>
                    {volume.refCount < 0 ? (
                      <span className="muted">unknown</span>
                    ) : volume.refCount > 0 ? (
                      <span className="badge running">{volume.refCount} container(s)</span>
                    ) : (
                      <span className="muted">unused</span>
                    )}
                  </td>
                  <td className="row-actions">
                    <button type="button" className="small" onClick={() => setBrowsing(volume)}>
                      Browse
                    </button>
                    <button
                      type="button"
                      className="small danger"
                      data-testid={`remove-volume-${volume.name}`}
                      onClick={() =>
                        void guarded(async () => {
                          await api.volumes.remove({ name: volume.name });
                          return `Removed volume ${volume.name}`;
                        })
                      }
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {browsing && <BrowseDialog volume={browsing} onClose={() => setBrowsing(undefined)} />}
    </div>
  );
}
