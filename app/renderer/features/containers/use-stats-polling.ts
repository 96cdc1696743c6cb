import { useEffect } from 'react';
import { api } from '../../client/connection';
import { useBerth } from '../../stores/store';

const intervalMs = 3000;
const maxPerRound = 200;

/**
 * Live CPU/memory: one-shot snapshots of running containers every few seconds while the page is
 * shown and the window visible. Main caps how many engine requests run at once; there is no
 * stream per row.
 */
export function useStatsPolling(runningIds: readonly string[]): void {
  const key = runningIds.slice(0, maxPerRound).join(',');
  useEffect(() => {
    const ids = key ? key.split(',') : [];
    if (ids.length === 0) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const poll = async () => {
      if (document.visibilityState === 'visible') {
        try {
          const snapshots = await api.containers.statsSnapshot(
            { ids },
            { signal: controller.signal },
          );
          if (!cancelled) useBerth.getState().setStats(snapshots);
        } catch {
          // Stats are decoration: a failed round leaves the last values; the lists show errors.
        }
      }
      if (!cancelled) timer = setTimeout(() => void poll(), intervalMs);
    };
    void poll();
    return () => {
      cancelled = true;
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [key]);
}
