// The Files tab: browse the container's filesystem through the archive API (works on a stopped
// container too), download a file, and upload one into the shown directory after confirming.
import { useCallback, useEffect, useRef, useState } from 'react';
import { maxUploadBytes } from '../../../shared/services/files';
import type { ContainerSummary } from '../../../shared/types';
import type { ContainerDirectory } from '../../../shared/workbench-types';
import { api } from '../../client/connection';
import { Dialog } from '../../components/Dialog';
import { formatBytes } from '../../components/format';
import { toErrorData } from '../../stores/resource-slice';
import { useBerth } from '../../stores/store';
import {
  base64ToBytes,
  breadcrumbs,
  bytesToBase64,
  modeString,
  normalizePath,
  parentPath,
} from './file-paths';

function saveFile(name: string, bytes: Uint8Array<ArrayBuffer>): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function FilesPanel({ container }: { container: ContainerSummary }) {
  const notify = useBerth((state) => state.notify);
  const [path, setPath] = useState('/');
  const [typed, setTyped] = useState('/');
  const [listing, setListing] = useState<ContainerDirectory | undefined>();
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const [pendingUpload, setPendingUpload] = useState<File | undefined>();
  const [uploading, setUploading] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const load = useCallback(
    async (target: string) => {
      setLoading(true);
      try {
        const result = await api.files.list({ id: container.id, path: target });
        setListing(result);
        setError('');
      } catch (problem) {
        setError(toErrorData(problem).message);
      } finally {
        setLoading(false);
      }
    },
    [container.id],
  );

  useEffect(() => {
    setTyped(path);
    void load(path);
  }, [path, load]);

  const download = async (filePath: string) => {
    try {
      const file = await api.files.download({ id: container.id, path: filePath });
      saveFile(file.name, base64ToBytes(file.contentBase64));
    } catch (problem) {
      notify('error', `Download ${filePath}: ${toErrorData(problem).message}`);
    }
  };

  const chooseUpload = (file: File | undefined) => {
    if (fileInput.current) fileInput.current.value = '';
    if (!file) return;
    if (file.size > maxUploadBytes) {
      notify(
        'error',
        `${file.name} is ${formatBytes(file.size)}; uploads here are limited to ${maxUploadBytes / 1024} KiB (use docker cp for more)`,
      );
      return;
    }
    setPendingUpload(file);
  };

  const confirmUpload = async () => {
    const file = pendingUpload;
    if (!file) return;
    setUploading(true);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const result = await api.files.upload({
        id: container.id,
        directory: path,
        name: file.name,
        contentBase64: bytesToBase64(bytes),
      });
      notify('success', `Uploaded ${result.path}`);
      setPendingUpload(undefined);
      await load(path);
    } catch (problem) {
      notify('error', `Upload ${file.name}: ${toErrorData(problem).message}`);
    } finally {
      setUploading(false);
    }
  };

  const replaces = pendingUpload
    ? listing?.entries.some((entry) => entry.name === pendingUpload.name)
    : false;

  return (
    <div className="files-panel" data-testid="files-panel">
      <div className="logs-toolbar">
        <button
          type="button"
          className="small"
          data-testid="files-up"
          disabled={path === '/'}
          onClick={() => setPath(parentPath(path))}
        >
          ↑ Up
        </button>
        <nav className="breadcrumbs" aria-label="Path">
          {breadcrumbs(path).map((crumb) => (
            <button
              key={crumb.path}
              type="button"
              className="link"
              onClick={() => setPath(crumb.path)}
            >
              {crumb.name}
            </button>
          ))}
        </nav>
        <form
          className="files-goto"
          onSubmit={(event) => {
            event.preventDefault();
            const next = normalizePath(typed);
            if (next) setPath(next);
            else setError(`"${typed}" is not an absolute path`);
          }}
        >
          <input
            aria-label="Go to path"
            data-testid="files-path"
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
          />
          <button type="submit" className="small">
            Go
          </button>
        </form>
        <button type="button" className="small" onClick={() => void load(path)}>
          Refresh
        </button>
        <button
          type="button"
          className="small primary"
          data-testid="files-upload"
          onClick={() => fileInput.current?.click()}
        >
          Upload file…
        </button>
        <input
          ref={fileInput}
          type="file"
          hidden
          data-testid="files-upload-input"
          onChange={(event) => chooseUpload(event.target.files?.[0])}
        />
        <span className="muted">{loading ? 'Loading…' : ''}</span>
      </div>
      {error && (
        <p className="error-text" data-testid="files-error">
          {error}
        </p>
      )}
      {listing && (
        <div className="scroll-area">
          <table className="simple-table files-table" data-testid="files-table" data-path={path}>
            <thead>
              <tr>
                <th>Name</th>
                <th>Size</th>
                <th>Mode</th>
                <th>Modified</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {listing.entries.map((entry) => (
                <tr key={entry.path} data-testid={`file-entry-${entry.name}`}>
                  <td>
                    {entry.type === 'directory' ? (
                      <button
                        type="button"
                        className="link file-dir"
                        onClick={() => setPath(entry.path)}
                      >
                        {entry.name}/
                      </button>
                    ) : (
                      <span className={`file-${entry.type}`}>
                        {entry.name}
                        {entry.linkTarget ? (
                          <span className="muted"> → {entry.linkTarget}</span>
                        ) : null}
                      </span>
                    )}
                  </td>
                  <td>{entry.type === 'file' ? formatBytes(entry.size) : ''}</td>
                  <td className="mono">{modeString(entry.mode, entry.type)}</td>
                  <td>{entry.modified ? new Date(entry.modified * 1000).toLocaleString() : ''}</td>
                  <td className="row-actions">
                    {entry.type === 'file' && (
                      <button
                        type="button"
                        className="small"
                        data-testid={`file-download-${entry.name}`}
                        onClick={() => void download(entry.path)}
                      >
                        Download
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {listing.entries.length === 0 && <p className="empty">This directory is empty.</p>}
          {listing.truncated && (
            <p className="muted">Only the first {listing.entries.length} entries are shown.</p>
          )}
        </div>
      )}
      {pendingUpload && (
        <Dialog
          title="Upload a file into the container"
          onClose={() => setPendingUpload(undefined)}
          footer={
            <>
              <button type="button" onClick={() => setPendingUpload(undefined)}>
                Cancel
              </button>
              <button
                type="button"
                className={replaces ? 'danger' : 'primary'}
                data-testid="files-upload-confirm"
                disabled={uploading}
                onClick={() => void confirmUpload()}
              >
                {replaces ? 'Replace' : 'Upload'}
              </button>
            </>
          }
        >
          <p data-testid="files-upload-summary">
            Write <strong>{pendingUpload.name}</strong> ({formatBytes(pendingUpload.size)}) to{' '}
            <code>{path}</code> in <strong>{container.name}</strong>?
          </p>
          {replaces && (
            <p className="warn-text">
              {pendingUpload.name} already exists there and will be replaced.
            </p>
          )}
        </Dialog>
      )}
    </div>
  );
}
