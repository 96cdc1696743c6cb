// One zustand store made of typed slices; components read it through narrow selectors.
import { create } from 'zustand';
import type {
  ContainerStatsSnapshot,
  ContainerSummary,
  EngineConfig,
  EngineStatus,
  ImageSummary,
  NetworkSummary,
  Settings,
  VolumeSummary,
} from '../../shared/types';
import { api, type ConnectionState } from '../client/connection';
import { bridge } from '../client/electron-channel';
import { emptyResource, makeRefresher, toErrorData, type ResourceState } from './resource-slice';
import type { ContainerAlert } from './container-alerts';
import { appendTrails, type StatsTrail } from './stats-trail';
import { createWorkbenchSlice, type WorkbenchState } from './workbench-slice';

export type ResourceName = 'containers' | 'images' | 'volumes' | 'networks';

export interface NoticeAction {
  label: string;
  run(): void;
}

export interface Notice {
  id: number;
  kind: 'info' | 'success' | 'error';
  message: string;
  action?: NoticeAction;
}

export interface BerthState extends WorkbenchState {
  connection: { state: ConnectionState; detail: string };
  engineStatus: EngineStatus | undefined;
  engines: { engines: EngineConfig[]; activeId: string };
  containers: ResourceState<ContainerSummary>;
  images: ResourceState<ImageSummary>;
  volumes: ResourceState<VolumeSummary>;
  networks: ResourceState<NetworkSummary>;
  stats: Record<string, ContainerStatsSnapshot>;
  /** Recent CPU/memory per running container, for the list's sparklines. */
  statsTrails: Record<string, StatsTrail>;
  settings: Settings | undefined;
  notices: Notice[];
  paletteOpen: boolean;
  runDialog: { open: boolean; image?: string };

  setConnection(state: ConnectionState, detail: string): void;
  refreshEngine(): Promise<void>;
  refreshEngines(): Promise<void>;
  refresh(resource: ResourceName): Promise<void>;
  refreshAll(): Promise<void>;
  setStats(snapshots: ContainerStatsSnapshot[]): void;
  loadSettings(): Promise<void>;
  updateSettings(
    patch: Partial<Pick<Settings, 'theme' | 'defaultShell' | 'shellsByImage'>>,
  ): Promise<void>;
  notify(kind: Notice['kind'], message: string, action?: NoticeAction): void;
  /** An unexpected exit, restart loop or failing health check, with "Open logs". */
  alertContainer(alert: ContainerAlert): void;
  dismiss(id: number): void;
  setPaletteOpen(open: boolean): void;
  openRunDialog(image?: string): void;
  closeRunDialog(): void;
}

let nextNoticeId = 1;

export const useBerth = create<BerthState>()((set, get) => {
  const refreshers: Record<ResourceName, () => Promise<void>> = {
    containers: makeRefresher(
      () => api.containers.list(),
      () => get().containers,
      (containers) => {
        // Marks for the UI benchmark: data arrival → first paint of the table.
        if (containers.loaded && !containers.error) performance.mark('berth:containers-data');
        set({ containers });
      },
    ),
    images: makeRefresher(
      () => api.images.list(),
      () => get().images,
      (images) => set({ images }),
    ),
    volumes: makeRefresher(
      () => api.volumes.list(),
      () => get().volumes,
      (volumes) => set({ volumes }),
    ),
    networks: makeRefresher(
      () => api.networks.list(),
      () => get().networks,
      (networks) => set({ networks }),
    ),
  };

  return {
    ...createWorkbenchSlice(set, get),
    connection: { state: 'connecting', detail: '' },
    engineStatus: undefined,
    engines: { engines: [], activeId: '' },
    containers: emptyResource(),
    images: emptyResource(),
    volumes: emptyResource(),
    networks: emptyResource(),
    stats: {},
    statsTrails: {},
    settings: undefined,
    notices: [],
    paletteOpen: false,
    runDialog: { open: false },

    setConnection: (state, detail) => set({ connection: { state, detail } }),
    refreshEngine: async () => {
      try {
        set({ engineStatus: await api.engine.status() });
      } catch (error) {
        get().notify('error', `Engine status: ${toErrorData(error).message}`);
      }
    },
    refreshEngines: async () => {
      try {
        set({ engines: await api.engine.list() });
      } catch (error) {
        get().notify('error', `Engines: ${toErrorData(error).message}`);
      }
    },
    refresh: (resource) => refreshers[resource](),
    refreshAll: async () => {
      await get().refreshEngine();
      await Promise.all(Object.values(refreshers).map((refresh) => refresh()));
    },
    setStats: (snapshots) =>
      set({
        stats: Object.fromEntries(snapshots.map((snapshot) => [snapshot.id, snapshot])),
        statsTrails: appendTrails(get().statsTrails, snapshots),
      }),
    loadSettings: async () => {
      try {
        set({ settings: await api.settings.get() });
      } catch (error) {
        get().notify('error', `Settings: ${toErrorData(error).message}`);
      }
    },
    updateSettings: async (patch) => {
      // Optimistic: the theme switches on click; main's answer then confirms (or corrects) it.
      const current = get().settings;
      if (current) set({ settings: { ...current, ...patch } });
      try {
        set({ settings: await api.settings.update(patch) });
      } catch (error) {
        if (current) set({ settings: current });
        get().notify('error', `Settings: ${toErrorData(error).message}`);
      }
    },
    notify: (kind, message, action) => {
      const id = nextNoticeId++;
      // Long tasks finish and failures happen while the user looks elsewhere: tell the desktop.
      if (!document.hasFocus())
        bridge()?.notify(kind === 'error' ? 'Berth: failed' : 'Berth', message);
      set({
        notices: [...get().notices.slice(-4), { id, kind, message, ...(action ? { action } : {}) }],
      });
      if (kind !== 'error') setTimeout(() => get().dismiss(id), 5000);
    },
    alertContainer: (alert) =>
      get().notify('error', alert.message, {
        label: 'Open logs',
        run: () => {
          // The details view lives on the containers page (hash route).
          window.location.hash = '#/containers';
          get().openDetails(alert.containerId, 'logs');
        },
      }),
    dismiss: (id) => set({ notices: get().notices.filter((notice) => notice.id !== id) }),
    setPaletteOpen: (paletteOpen) => set({ paletteOpen }),
    openRunDialog: (image) => set({ runDialog: { open: true, ...(image ? { image } : {}) } }),
    closeRunDialog: () => set({ runDialog: { open: false } }),
  };
});
