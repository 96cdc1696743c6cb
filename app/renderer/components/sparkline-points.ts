/**
 * SVG polyline points for a sparkline: values left to right over the full width, scaled to the
 * largest value (or `max`), the baseline at the bottom. Fewer than two values draw nothing.
 */
export function sparklinePoints(
  values: readonly number[],
  width: number,
  height: number,
  max?: number,
): string {
  if (values.length < 2) return '';
  const top = Math.max(max ?? 0, ...values, 1e-9);
  const step = width / (values.length - 1);
  return values
    .map((value, index) => {
      const x = index * step;
      const y = height - (Math.max(0, Math.min(value, top)) / top) * (height - 1) - 0.5;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}
