// Folds the engine's pull progress lines into one bar per layer plus the overall status.
import type { PullProgress } from '../../shared/types';

export interface LayerProgress {
  id: string;
  status: string;
  current: number;
  total: number;
}

export interface PullView {
  layers: LayerProgress[];
  status: string;
}

export const emptyPullView: PullView = { layers: [], status: '' };

export function applyPullProgress(view: PullView, progress: PullProgress): PullView {
  // Whole-image lines ("Pulling from …", "Digest: …", "Status: …") have no layer id, or the tag.
  if (
    !progress.id ||
    progress.status.startsWith('Pulling from') ||
    progress.status.startsWith('Digest')
  ) {
    return { ...view, status: progress.status };
  }
  const index = view.layers.findIndex((layer) => layer.id === progress.id);
  const previous =
    index >= 0 ? view.layers[index]! : { id: progress.id, status: '', current: 0, total: 0 };
  const done = /complete|already exists/i.test(progress.status);
  const layer: LayerProgress = {
    id: progress.id,
    status: progress.status,
    current: done ? Math.max(previous.total, 1) : (progress.current ?? previous.current),
    total: done ? Math.max(previous.total, 1) : (progress.total ?? previous.total),
  };
  const layers =
    index >= 0
      ? view.layers.map((entry, at) => (at === index ? layer : entry))
      : [...view.layers, layer];
  return { ...view, layers };
}
