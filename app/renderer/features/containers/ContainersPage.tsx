import { useCallback, useEffect, useMemo, useState } from 'react';
import type { BulkItemResult, ContainerAction, ContainerSummary } from '../../../shared/types';
import { api } from '../../client/connection';
import { ErrorPanel } from '../../components/ErrorPanel';
import { VirtualList } from '../../components/VirtualList';
import { toErrorData } from '../../stores/resource-slice';
import { useBerth } from '../../stores/store';
import { ContainerDetails } from '../workbench/ContainerDetails';
import { ProjectLogs } from '../workbench/ProjectLogs';
import { actionLabels } from './ContainerActions';
import { ContainerRowView } from './ContainerRowView';
import { buildRows, type ContainerRow, type StateFilter } from './container-rows';
import { useStatsPolling } from './use-stats-polling';

const rowHeight = 44;

interface BulkRun {
  action: ContainerAction;
  total: number;
  results: BulkItemResult[];
  done: boolean;
}

export function ContainersPage() {
  const resource = useBerth((state) => state.containers);
  const stats = useBerth((state) => state.stats);
  const trails = useBerth((state) => state.statsTrails);
  const refresh = useBerth((state) => state.refresh);
  const openRunDialog = useBerth((state) => state.openRunDialog);
  const notify = useBerth((state) => state.notify);
  const openDetails = useBerth((state) => state.openDetails);
  const detailsId = useBerth((state) => state.details?.containerId);
  const projectLogs = useBerth((state) => state.projectLogs);
  const openProjectLogs = useBerth((state) => state.openProjectLogs);
  const [search, setSearch] = useState('');
  const [filter, setFilter] = useState<StateFilter>('all');
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState<Set<string>>(new Set());
  const [bulk, setBulk] = useState<BulkRun | undefined>();

  const rows = useMemo(
    () => buildRows(resource.items, search, filter, collapsed),
    [resource.items, search, filter, collapsed],
  );
  const visibleIds = useMemo(
    () => rows.flatMap((row) => (row.kind === 'container' ? [row.container.id] : [])),
    [rows],
  );
  const runningIds = useMemo(
    () =>
      resource.items
        .filter((container) => container.state === 'running')
        .map((container) => container.id),
    [resource.items],
  );
  useStatsPolling(runningIds);
  useEffect(() => {
    // After React commits the rows, the next frame is their first paint (read by the UI bench).
    if (resource.items.length === 0) return;
    const frame = requestAnimationFrame(() => performance.mark('berth:containers-painted'));
    return () => cancelAnimationFrame(frame);
  }, [resource.items]);
  const names = useMemo(
    () => new Map(resource.items.map((container) => [container.id, container.name])),
    [resource.items],
  );
  const selectedIds = [...selected].filter((id) => names.has(id));

  const toggle = useCallback((ids: string[], on: boolean) => {
    setSelected((current) => {
      const next = new Set(current);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  }, []);
  const toggleOne = useCallback((id: string, on: boolean) => toggle([id], on), [toggle]);

  const runOne = useCallback(
    async (container: ContainerSummary, action: ContainerAction) => {
      setBusy((current) => new Set(current).add(container.id));
      try {
        if (action === 'remove') await api.containers.remove({ id: container.id, force: true });
        else await api.containers[action]({ id: container.id });
        notify('success', `${actionLabels[action]}: ${container.name}`);
      } catch (error) {
        notify(
          'error',
          `${actionLabels[action]} ${container.name} failed: ${toErrorData(error).message}`,
        );
      } finally {
        setBusy((current) => {
          const next = new Set(current);
          next.delete(container.id);
          return next;
        });
      }
    },
    [notify],
  );

  const runBulk = async (action: ContainerAction) => {
    const ids = selectedIds;
    if (ids.length === 0) return;
    setBulk({ action, total: ids.length, results: [], done: false });
    try {
      const results = await api.containers.bulk(
        { action, ids, ...(action === 'remove' ? { force: true } : {}) },
        {
          onProgress: (result) =>
            setBulk((run) => run && { ...run, results: [...run.results, result] }),
        },
      );
      setBulk({ action, total: ids.length, results, done: true });
      const failed = results.filter((result) => !result.ok).length;
      notify(
        failed ? 'error' : 'success',
        `${actionLabels[action]}: ${results.length - failed} done, ${failed} failed`,
      );
      if (action === 'remove') toggle(ids, false);
    } catch (error) {
      setBulk((run) => run && { ...run, done: true });
      notify('error', `${actionLabels[action]} failed: ${toErrorData(error).message}`);
    }
  };

  const renderRow = (row: ContainerRow) => {
    if (row.kind === 'group') {
      const allSelected = row.ids.every((id) => selected.has(id));
      return (
        <div className="row group-row" data-testid={`group-${row.project}`}>
          <input
            type="checkbox"
            aria-label={`Select project ${row.project}`}
            checked={allSelected}
            onChange={(event) => toggle(row.ids, event.target.checked)}
          />
          <button
            type="button"
            className="link"
            aria-expanded={!row.collapsed}
            onClick={() =>
              setCollapsed((current) => {
                const next = new Set(current);
                if (next.has(row.project)) next.delete(row.project);
                else next.add(row.project);
                return next;
              })
            }
          >
            {row.collapsed ? '▸' : '▾'} {row.project}
          </button>
          <span className="muted">
            compose · {row.running}/{row.count} running
          </span>
          <button
            type="button"
            className="small group-logs"
            data-testid={`project-logs-${row.project}`}
            title={`Logs of every container of ${row.project}, merged`}
            onClick={() => openProjectLogs(row.project)}
          >
            Logs
          </button>
        </div>
      );
    }
    return (
      <ContainerRowView
        container={row.container}
        grouped={row.grouped}
        stat={stats[row.container.id]}
        trail={trails[row.container.id]}
        selected={selected.has(row.container.id)}
        busy={busy.has(row.container.id)}
        onToggle={toggleOne}
        onAction={runOne}
        onOpen={openDetails}
      />
    );
  };

  const detailsContainer = detailsId
    ? resource.items.find((container) => container.id === detailsId)
    : undefined;
  if (detailsContainer) return <ContainerDetails container={detailsContainer} />;
  if (projectLogs) return <ProjectLogs project={projectLogs} />;

  return (
    <div className="resource-page">
      <header className="page-header">
        <h1>Containers</h1>
        <div className="toolbar">
          <input
            type="search"
            placeholder="Search name, image, project…"
            aria-label="Search containers"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
          <select
            aria-label="State filter"
            value={filter}
            onChange={(event) => setFilter(event.target.value as StateFilter)}
          >
            <option value="all">All</option>
            <option value="running">Running</option>
            <option value="stopped">Stopped</option>
          </select>
          <button
            type="button"
            className="primary"
            data-testid="open-run-dialog"
            onClick={() => openRunDialog()}
          >
            Run a container
          </button>
        </div>
      </header>
      {selectedIds.length > 0 && (
        <div className="bulk-bar" data-testid="bulk-bar">
          <span>{selectedIds.length} selected</span>
          {(['start', 'stop', 'restart', 'pause', 'unpause', 'remove'] as ContainerAction[]).map(
            (action) => (
              <button
                key={action}
                type="button"
                className={action === 'remove' ? 'small danger' : 'small'}
                data-testid={`bulk-${action}`}
                disabled={bulk !== undefined && !bulk.done}
                onClick={() => void runBulk(action)}
              >
                {actionLabels[action]}
              </button>
            ),
          )}
          <button type="button" className="small" onClick={() => setSelected(new Set())}>
            Clear
          </button>
        </div>
      )}
      {bulk && (
        <div className="bulk-progress" data-testid="bulk-progress">
          <div className="bulk-progress-header">
            <span>
              {actionLabels[bulk.action]}: {bulk.results.length}/{bulk.total}
              {bulk.done ? ' — finished' : '…'}
            </span>
            <progress max={bulk.total} value={bulk.results.length} />
            {bulk.done && (
              <button type="button" className="small" onClick={() => setBulk(undefined)}>
                Close
              </button>
            )}
          </div>
          <ul>
            {bulk.results.map((result) => (
              <li
                key={result.id}
                className={result.ok ? 'ok' : 'failed'}
                data-testid={`bulk-item-${result.ok ? 'ok' : 'failed'}`}
              >
                {names.get(result.id) ?? result.id.slice(0, 12)}:{' '}
                {result.ok ? 'done' : result.error?.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {resource.error && (
        <ErrorPanel
          title="Could not list containers"
          error={resource.error}
          onRetry={() => void refresh('containers')}
        />
      )}
      {!resource.error && resource.loaded && resource.items.length === 0 && (
        <p className="empty" data-testid="empty-containers">
          No containers yet. Run one from an image.
        </p>
      )}
      {!resource.error && resource.items.length > 0 && (
        <div className="table">
          <div className="row header-row">
            <input
              type="checkbox"
              aria-label="Select all shown"
              checked={visibleIds.length > 0 && visibleIds.every((id) => selected.has(id))}
              onChange={(event) => toggle(visibleIds, event.target.checked)}
            />
            <span className="cell name">Name</span>
            <span className="cell image">Image</span>
            <span className="cell state">State</span>
            <span className="cell ports-cell">Ports</span>
            <span className="cell created">Created</span>
            <span className="cell cpu">CPU</span>
            <span className="cell mem">Memory</span>
            <span className="row-actions">Actions</span>
          </div>
          <VirtualList
            rows={rows}
            rowHeight={rowHeight}
            rowKey={(row) => (row.kind === 'group' ? `group:${row.project}` : row.container.id)}
            renderRow={renderRow}
            testId="containers-table"
          />
        </div>
      )}
    </div>
  );
}
