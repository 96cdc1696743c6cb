import { useEffect, useState } from 'react';
import type { ImageHistoryEntry, ImageSummary } from '../../../shared/types';
import { api } from '../../client/connection';
import { Dialog } from '../../components/Dialog';
import { ErrorPanel } from '../../components/ErrorPanel';
import { formatAge, formatBytes, shortId } from '../../components/format';
import { applyPullProgress, emptyPullView, type PullView } from '../../components/pull-progress';
import { PullProgressView } from '../../components/PullProgressView';
import { toErrorData } from '../../stores/resource-slice';
import { useBerth } from '../../stores/store';
import { pullRequestEvent } from '../shell/command-actions';

function imageLabel(image: ImageSummary): string {
  return image.tags[0] ?? `<none> ${shortId(image.id)}`;
}

function PullBar() {
  const notify = useBerth((state) => state.notify);
  const [ref, setRef] = useState('');
  const [view, setView] = useState<PullView>(emptyPullView);
  const [pulling, setPulling] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    const focus = () =>
      document.querySelector<HTMLInputElement>('[data-testid="pull-ref"]')?.focus();
    window.addEventListener(pullRequestEvent, focus);
    return () => window.removeEventListener(pullRequestEvent, focus);
  }, []);
  const pull = async () => {
    if (!ref.trim()) return;
    setPulling(true);
    setError('');
    setView(emptyPullView);
    try {
      await api.images.pull(
        { ref: ref.trim() },
        { onProgress: (progress) => setView((current) => applyPullProgress(current, progress)) },
      );
      notify('success', `Pulled ${ref.trim()}`);
      setView((current) => ({ ...current, status: `Pulled ${ref.trim()}` }));
    } catch (problem) {
      setError(toErrorData(problem).message);
    } finally {
      setPulling(false);
    }
  };
  return (
    <div className="pull-bar">
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          void pull();
        }}
      >
        <input
          placeholder="Image to pull, e.g. registry:5000/app:1.0"
          aria-label="Image reference"
          data-testid="pull-ref"
          value={ref}
          onChange={(event) => setRef(event.target.value)}
        />
        <button type="submit" className="primary" disabled={pulling} data-testid="pull-submit">
          {pulling ? 'Pulling…' : 'Pull'}
        </button>
      </form>
      <PullProgressView view={view} />
      {error && (
        <p className="form-error" role="alert" data-testid="pull-error">
          {error}
        </p>
      )}
    </div>
  );
}

function HistoryDialog({ image, onClose }: { image: ImageSummary; onClose: () => void }) {
  const [entries, setEntries] = useState<ImageHistoryEntry[] | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    api.images
      .history({ id: image.id })
      .then(setEntries, (problem: unknown) => setError(toErrorData(problem).message));
  }, [image.id]);
  return (
    <Dialog title={`History of ${imageLabel(image)}`} onClose={onClose} wide>
      {error && <p className="form-error">{error}</p>}
      {!entries && !error && <p className="muted">Loading…</p>}
      {entries && (
        <table className="simple-table" data-testid="image-history">
          <thead>
            <tr>
              <th>Created</th>
              <th>Size</th>
              <th>Created by</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry, index) => (
              <tr key={`${entry.id}-${index}`}>
                <td>{formatAge(entry.created)}</td>
                <td>{formatBytes(entry.size)}</td>
                <td>
                  <code className="wrap">{entry.createdBy}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Dialog>
  );
}

function TagDialog({ image, onClose }: { image: ImageSummary; onClose: () => void }) {
  const notify = useBerth((state) => state.notify);
  const [target, setTarget] = useState('');
  const [error, setError] = useState('');
  const submit = async () => {
    const match = /^(.+?)(?::([\w][\w.-]*))?$/.exec(target.trim());
    if (!match?.[1] || match[1].endsWith('/')) return setError('Enter repository[:tag]');
    try {
      await api.images.tag({
        id: image.id,
        repo: match[1],
        ...(match[2] ? { tag: match[2] } : {}),
      });
      notify('success', `Tagged ${target.trim()}`);
      onClose();
    } catch (problem) {
      setError(toErrorData(problem).message);
    }
  };
  return (
    <Dialog
      title={`Tag ${imageLabel(image)}`}
      onClose={onClose}
      footer={
        <button type="button" className="primary" onClick={() => void submit()}>
          Tag
        </button>
      }
    >
      <input
        placeholder="repository:tag"
        aria-label="New tag"
        value={target}
        onChange={(event) => setTarget(event.target.value)}
      />
      {error && <p className="form-error">{error}</p>}
    </Dialog>
  );
}

export function ImagesPage() {
  const resource = useBerth((state) => state.images);
  const refresh = useBerth((state) => state.refresh);
  const notify = useBerth((state) => state.notify);
  const openRunDialog = useBerth((state) => state.openRunDialog);
  const [history, setHistory] = useState<ImageSummary | undefined>();
  const [tagging, setTagging] = useState<ImageSummary | undefined>();
  const [removeError, setRemoveError] = useState<{ image: string; message: string } | undefined>();

  const remove = async (image: ImageSummary) => {
    setRemoveError(undefined);
    try {
      await api.images.remove({ id: image.tags[0] ?? image.id });
      notify('success', `Removed ${imageLabel(image)}`);
    } catch (problem) {
      const error = toErrorData(problem);
      setRemoveError({ image: imageLabel(image), message: error.message });
    }
  };
  const prune = async () => {
    try {
      const result = await api.images.prune({ dangling: true });
      notify(
        'success',
        `Pruned ${result.deleted.length} images, reclaimed ${formatBytes(result.spaceReclaimed)}`,
      );
    } catch (problem) {
      notify('error', `Prune failed: ${toErrorData(problem).message}`);
    }
  };

  return (
    <div className="resource-page">
      <header className="page-header">
        <h1>Images</h1>
        <div className="toolbar">
          <button type="button" onClick={() => void prune()} data-testid="images-prune">
            Prune dangling
          </button>
        </div>
      </header>
      <PullBar />
      {removeError && (
        <div className="error-panel" role="alert" data-testid="image-remove-error">
          <strong>Could not remove {removeError.image}</strong>
          <p>{removeError.message}</p>
          <button type="button" className="small" onClick={() => setRemoveError(undefined)}>
            Dismiss
          </button>
        </div>
      )}
      {resource.error && (
        <ErrorPanel
          title="Could not list images"
          error={resource.error}
          onRetry={() => void refresh('images')}
        />
      )}
      {!resource.error && resource.loaded && resource.items.length === 0 && (
        <p className="empty">No images. Pull one above.</p>
      )}
      {!resource.error && resource.items.length > 0 && (
        <div className="scroll-area">
          <table className="simple-table" data-testid="images-table">
            <thead>
              <tr>
                <th>Tags</th>
                <th>ID</th>
                <th>Size</th>
                <th>Created</th>
                <th>In use</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {resource.items.map((image) => (
                <tr key={image.id} data-testid={`image-${image.tags[0] ?? image.id}`}>
                  <td>
                    {image.tags.length ? (
                      image.tags.map((tag) => <div key={tag}>{tag}</div>)
                    ) : (
                      <span className="muted">&lt;none&gt;</span>
                    )}
                  </td>
                  <td>
                    <code>{shortId(image.id)}</code>
                  </td>
                  <td>{formatBytes(image.size)}</td>
                  <td>{formatAge(image.created)}</td>
                  <td>
                    {image.inUse ? (
                      <span className="badge running">in use</span>
                    ) : (
                      <span className="muted">unused</span>
                    )}
                  </td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="small"
                      data-testid={`run-image-${image.tags[0] ?? image.id}`}
                      onClick={() => openRunDialog(image.tags[0] ?? image.id)}
                    >
                      Run
                    </button>
                    <button type="button" className="small" onClick={() => setTagging(image)}>
                      Tag
                    </button>
                    <button type="button" className="small" onClick={() => setHistory(image)}>
                      History
                    </button>
                    <button
                      type="button"
                      className="small danger"
                      data-testid={`remove-image-${image.tags[0] ?? image.id}`}
                      onClick={() => void remove(image)}
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
      {history && <HistoryDialog image={history} onClose={() => setHistory(undefined)} />}
      {tagging && <TagDialog image={tagging} onClose={() => setTagging(undefined)} />}
    </div>
  );
}
