import { formatBytes } from './format';
import type { PullView } from './pull-progress';

export function PullProgressView({ view }: { view: PullView }) {
  if (view.layers.length === 0 && !view.status) return null;
  return (
    <div className="pull-progress" data-testid="pull-progress">
      {view.status && <div className="pull-status">{view.status}</div>}
      {view.layers.map((layer) => (
        <div className="layer" key={layer.id} data-testid="pull-layer">
          <code>{layer.id}</code>
          <progress max={layer.total || 1} value={layer.total ? layer.current : 0} />
          <span className="muted small-text">
            {layer.status}
            {layer.total > 1 && !/complete|exists/i.test(layer.status)
              ? ` ${formatBytes(layer.current)} / ${formatBytes(layer.total)}`
              : ''}
          </span>
        </div>
      ))}
    </div>
  );
}
