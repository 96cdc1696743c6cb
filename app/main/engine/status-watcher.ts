// Keeps main's own view of the engine (for the tray and notifications) fresh from engine events,
// with a debounce and reconnect backoff: the same rules as the renderer, no blind polling.
import type { BerthServices } from '../../shared/services/index';
import type { EngineStatus } from '../../shared/types';

export function watchEngineStatus(
  services: Pick<BerthServices, 'engine'>,
  onStatus: (status: EngineStatus) => void,
  timing: { debounceMs?: number; maxBackoffMs?: number } = {},
): () => void {
  const debounceMs = timing.debounceMs ?? 500;
  const maxBackoffMs = timing.maxBackoffMs ?? 30_000;
  let stopped = false;
  let attempt = 0;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let controller: AbortController | undefined;

  const refresh = () => {
    debounce = undefined;
    services.engine.status().then(
      (status) => {
        if (!stopped) onStatus(status);
      },
      () => undefined, // status() reports unreachable engines as data; a throw here is a bug elsewhere
    );
  };
  const schedule = () => {
    debounce ??= setTimeout(refresh, debounceMs);
  };
  const follow = () => {
    if (stopped) return;
    controller = new AbortController();
    const signal = controller.signal;
    services.engine
      .events(undefined, {
        signal,
        onProgress: (event) => {
          attempt = 0;
          if (event.type === 'container' || event.type === 'engine' || event.type === 'daemon')
            schedule();
        },
      })
      // How the stream ended does not matter here: refresh() below reports the engine's state.
      .catch(() => undefined)
      .finally(() => {
        if (stopped || signal.aborted) return;
        refresh();
        retry = setTimeout(follow, Math.min(maxBackoffMs, 1000 * 2 ** attempt++));
      });
  };
  refresh();
  follow();
  return () => {
    stopped = true;
    controller?.abort();
    if (debounce) clearTimeout(debounce);
    if (retry) clearTimeout(retry);
  };
}
