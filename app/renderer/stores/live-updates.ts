// Engine events drive refetches: each event marks its resource dirty, and a short debounce
// coalesces bursts (a compose up emits dozens) into one refetch per resource. The event stream
// reconnects with backoff; no blind polling.
import { subscribe } from '../../shared/rpc/client';
import type { EngineEvent } from '../../shared/types';
import { api, onConnectionState } from '../client/connection';
import { ContainerAlertWatcher } from './container-alerts';
import { useBerth, type ResourceName } from './store';

const debounceMs = 200;

/** Which lists an event can change. */
export function resourcesAffectedBy(event: EngineEvent): ResourceName[] {
  switch (event.type) {
    case 'container':
      // exec_* and top-level health noise do not change the list shape; stats polling covers usage.
      if (event.action.startsWith('exec_')) return [];
      return ['containers', 'images', 'volumes', 'networks'];
    case 'image':
      return ['images'];
    case 'volume':
      return ['volumes'];
    case 'network':
      return ['networks', 'containers'];
    case 'engine':
    case 'daemon':
      return ['containers', 'images', 'volumes', 'networks'];
  }
}

export function startLiveUpdates(): () => void {
  const dirty = new Set<ResourceName>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe: (() => void) | undefined;
  let attempt = 0;
  let stopped = false;
  const alerts = new ContainerAlertWatcher();

  const flush = () => {
    timer = undefined;
    const store = useBerth.getState();
    // Counts in the status bar (running containers, images) follow the same events.
    void store.refreshEngine();
    for (const resource of dirty) void store.refresh(resource);
    dirty.clear();
  };

  const onEvent = (event: EngineEvent) => {
    attempt = 0;
    const alert = alerts.observe(event);
    if (alert) useBerth.getState().alertContainer(alert);
    if (event.type === 'engine' || event.type === 'daemon') {
      void useBerth.getState().refreshEngine();
      void useBerth.getState().refreshEngines();
    }
    for (const resource of resourcesAffectedBy(event)) dirty.add(resource);
    timer ??= setTimeout(flush, debounceMs);
  };

  const follow = () => {
    if (stopped) return;
    unsubscribe?.();
    unsubscribe = subscribe(
      (options) => api.engine.events(undefined, options),
      onEvent,
      (error) => {
        // A lost connection is handled by the reconnect below (onConnectionState).
        if (error?.code === 'transport_closed') return;
        // The stream ended (engine down, connection lost): show why, then retry with backoff.
        void useBerth.getState().refreshAll();
        const delay = Math.min(30_000, 1000 * 2 ** attempt++);
        retry = setTimeout(follow, delay);
      },
    );
  };

  const stopConnection = onConnectionState((state, detail) => {
    useBerth.getState().setConnection(state, detail);
    if (state === 'open') {
      attempt = 0;
      if (retry) clearTimeout(retry);
      void useBerth.getState().loadSettings();
      void useBerth.getState().refreshEngines();
      void useBerth.getState().refreshAll();
      follow();
    }
  });

  return () => {
    stopped = true;
    stopConnection();
    unsubscribe?.();
    if (timer) clearTimeout(timer);
    if (retry) clearTimeout(retry);
  };
}
