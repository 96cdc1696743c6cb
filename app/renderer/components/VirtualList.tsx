import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * Renders only the rows in view (plus a small overscan) from fixed-height rows, so a list of
 * thousands of containers costs the same to paint as a list of twenty.
 */
export function VirtualList<T>({
  rows,
  rowHeight,
  renderRow,
  rowKey,
  overscan = 8,
  testId,
}: {
  rows: readonly T[];
  rowHeight: number;
  renderRow: (row: T, index: number) => ReactNode;
  rowKey: (row: T) => string;
  overscan?: number;
  testId?: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  // The first visible row, rounded down to a chunk: scrolling within a chunk re-renders nothing,
  // since the overscan already holds the rows that come into view.
  const [anchor, setAnchor] = useState(0);
  const [height, setHeight] = useState(600);

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    setHeight(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  const chunk = Math.max(1, Math.floor(overscan / 2));
  const first = Math.max(0, anchor - overscan);
  const last = Math.min(rows.length, anchor + Math.ceil(height / rowHeight) + chunk + overscan);
  const visible = rows.slice(first, last);

  return (
    <div
      className="virtual-scroller"
      ref={scroller}
      data-testid={testId}
      onScroll={(event) => {
        const top = Math.floor(event.currentTarget.scrollTop / rowHeight);
        setAnchor(top - (top % chunk));
      }}
    >
      <div style={{ height: rows.length * rowHeight, position: 'relative' }}>
        <div style={{ transform: `translateY(${first * rowHeight}px)` }}>
          {visible.map((row, offset) => (
            <div key={rowKey(row)} style={{ height: rowHeight }} className="virtual-row">
              {renderRow(row, first + offset)}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
