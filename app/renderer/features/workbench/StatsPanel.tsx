// The Stats tab: live CPU, memory (with its limit), network and block IO charts over the
// session's history, with peak/average, a near-the-limit warning and CSV export.
import { useEffect, useMemo } from 'react';
import type { ContainerSummary } from '../../../shared/types';
import type { StatsSample } from '../../../shared/workbench-types';
import { formatBytes, formatPercent } from '../../components/format';
import { useBerth } from '../../stores/store';
import { LineChart } from './LineChart';
import { memoryWarning, peakAndAverage, rates, statsCsv } from './stats-math';

const noSamples: StatsSample[] = [];
/** The charts show the last 5 minutes; the CSV has the whole session. */
const chartWindow = 300;
const rate = (value: number) => `${formatBytes(value)}/s`;

export function StatsPanel({ container }: { container: ContainerSummary }) {
  const history = useBerth((state) => state.statsHistory[container.id] ?? noSamples);
  const error = useBerth((state) => state.statsError[container.id]);
  const followStats = useBerth((state) => state.followStats);
  const running = container.state === 'running';
  useEffect(
    () => (running ? followStats(container.id) : undefined),
    [container.id, running, followStats],
  );

  const recent = history.slice(-chartWindow);
  const derived = useMemo(
    () => ({
      cpu: recent.map((sample) => sample.cpuPercent),
      memory: recent.map((sample) => sample.memoryBytes),
      rx: rates(recent, (sample) => sample.netRxBytes),
      tx: rates(recent, (sample) => sample.netTxBytes),
      read: rates(recent, (sample) => sample.blockReadBytes),
      write: rates(recent, (sample) => sample.blockWriteBytes),
    }),
    [recent],
  );
  const last = history.at(-1);
  const cpuSummary = peakAndAverage(history.map((sample) => sample.cpuPercent));
  const memorySummary = peakAndAverage(history.map((sample) => sample.memoryBytes));
  const warning = memoryWarning(last);

  const exportCsv = () => {
    const url = URL.createObjectURL(new Blob([statsCsv(history)], { type: 'text/csv' }));
    const anchor = document.createElement('a');
    anchor.href = url;
    anchor.download = `${container.name}-stats.csv`;
    anchor.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <div className="stats-panel" data-testid="stats-panel" data-samples={history.length}>
      <div className="stats-summary">
        <span>
          CPU peak <strong>{formatPercent(cpuSummary.peak)}</strong> · avg{' '}
          {formatPercent(cpuSummary.average)}
        </span>
        <span>
          Memory peak <strong>{formatBytes(memorySummary.peak)}</strong> · avg{' '}
          {formatBytes(memorySummary.average)}
          {last ? ` · limit ${formatBytes(last.memoryLimitBytes)}` : ''}
        </span>
        <span>{last ? `${last.pids} processes` : ''}</span>
        <span className="muted">{history.length} samples this session</span>
        <button
          type="button"
          className="small"
          data-testid="stats-csv"
          disabled={!history.length}
          onClick={exportCsv}
        >
          Export CSV
        </button>
      </div>
      {!running && <p className="muted">The container is not running: no new samples.</p>}
      {error && <p className="error-text">Stats stopped: {error}</p>}
      {warning && (
        <p className="warning" data-testid="memory-warning">
          {warning}
        </p>
      )}
      <div className="charts">
        <LineChart
          title="CPU"
          testId="chart-cpu"
          series={[{ label: 'cpu', values: derived.cpu, color: 'var(--accent)' }]}
          format={formatPercent}
        />
        <LineChart
          title="Memory"
          testId="chart-memory"
          series={[{ label: 'used', values: derived.memory, color: 'var(--ok)' }]}
          // Unlimited containers report the host memory as limit: drawing it would flatten the line.
          limit={
            last && last.memoryBytes / Math.max(1, last.memoryLimitBytes) > 0.2
              ? last.memoryLimitBytes
              : undefined
          }
          format={formatBytes}
        />
        <LineChart
          title="Network"
          testId="chart-network"
          series={[
            { label: 'rx', values: derived.rx, color: 'var(--accent)' },
            { label: 'tx', values: derived.tx, color: 'var(--warn)' },
          ]}
          format={rate}
        />
        <LineChart
          title="Block IO"
          testId="chart-block"
          series={[
            { label: 'read', values: derived.read, color: 'var(--ok)' },
            { label: 'write', values: derived.write, color: 'var(--danger)' },
          ]}
          format={rate}
        />
      </div>
    </div>
  );
}
