// A small SVG line chart for live series (no chart library: a polyline per series is all the
// stats tab needs, and it redraws in well under a millisecond for an hour of samples).
import { memo } from 'react';

const width = 480;
const height = 120;

export const LineChart = memo(function LineChart({
  title,
  series,
  max,
  format,
  limit,
  testId,
}: {
  title: string;
  series: { label: string; values: number[]; color: string }[];
  /** Fixed top of the y axis; otherwise the largest value (with headroom). */
  max?: number;
  format: (value: number) => string;
  /** A dashed horizontal line, e.g. the memory limit. */
  limit?: number;
  testId?: string;
}) {
  const points = Math.max(2, ...series.map((entry) => entry.values.length));
  const largest = Math.max(1e-9, ...series.flatMap((entry) => entry.values), limit ?? 0);
  const top = max ?? largest * 1.1;
  const x = (index: number) => (index / (points - 1)) * width;
  const y = (value: number) => height - (Math.min(value, top) / top) * height;
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>
        <strong>{title}</strong>
        {series.map((entry) => (
          <span key={entry.label} className="legend">
            <i style={{ background: entry.color }} />
            {entry.label} {format(entry.values.at(-1) ?? 0)}
          </span>
        ))}
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={title}
      >
        <line x1={0} x2={width} y1={height / 2} y2={height / 2} className="grid" />
        {limit !== undefined && limit > 0 && limit <= top && (
          <line x1={0} x2={width} y1={y(limit)} y2={y(limit)} className="limit" />
        )}
        {series.map((entry) => (
          <polyline
            key={entry.label}
            fill="none"
            stroke={entry.color}
            strokeWidth={1.5}
            vectorEffect="non-scaling-stroke"
            points={entry.values.map((value, index) => `${x(index)},${y(value)}`).join(' ')}
          />
        ))}
      </svg>
      <div className="chart-axis muted">
        <span>{format(top)}</span>
        <span>0</span>
      </div>
    </figure>
  );
});
