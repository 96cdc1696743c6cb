import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, shortId } from './format';
import { applyPullProgress, emptyPullView } from './pull-progress';

describe('pull progress view', () => {
  it('keeps one bar per layer and the overall status', () => {
    let view = emptyPullView;
    for (const line of [
      { id: 'latest', status: 'Pulling from berth-test/busybox' },
      { id: 'aaa', status: 'Pulling fs layer' },
      { id: 'bbb', status: 'Pulling fs layer' },
      { id: 'aaa', status: 'Downloading', current: 10, total: 100 },
      { id: 'aaa', status: 'Downloading', current: 60, total: 100 },
      { id: 'bbb', status: 'Already exists' },
      { id: '', status: 'Digest: sha256:1' },
    ]) {
      view = applyPullProgress(view, line);
    }
    expect(view.status).toBe('Digest: sha256:1');
    expect(view.layers).toEqual([
      { id: 'aaa', status: 'Downloading', current: 60, total: 100 },
      { id: 'bbb', status: 'Already exists', current: 1, total: 1 },
    ]);
    view = applyPullProgress(view, { id: 'aaa', status: 'Pull complete' });
    expect(view.layers[0]).toEqual({
      id: 'aaa',
      status: 'Pull complete',
      current: 100,
      total: 100,
    });
  });
});

describe('formatting', () => {
  it('formats sizes, ages and ids', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatBytes(25_000_000_000)).toBe('25 GB');
    expect(formatAge(1000, 1000 * 1000 + 5000)).toBe('5s ago');
    expect(formatAge(0, 3 * 24 * 3600 * 1000)).toBe('3d ago');
    expect(shortId('sha256:0123456789abcdef')).toBe('0123456789ab');
  });
});
