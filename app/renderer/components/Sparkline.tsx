import { memo } from 'react';
import { sparklinePoints } from './sparkline-points';

const width = 56;
const height = 12;

/** A tiny trend line for a table cell; the value itself is printed beside it. */
export const Sparkline = memo(function Sparkline({
  values,
  max,
  label,
  testId,
}: {
  values: readonly number[];
  max?: number;
  label: string;
  testId?: string;
}) {
  const points = sparklinePoints(values, width, height, max);
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
      data-testid={testId}
      data-points={values.length}
    >
      {points && <polyline points={points} fill="none" strokeWidth={1.5} />}
    </svg>
  );
});
