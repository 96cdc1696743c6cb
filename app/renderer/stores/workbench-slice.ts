// The container workbench's slice of the store: which container's details are open and on which
// tab, its terminal sessions (they live in main; the renderer keeps their ids), and the stats
// history kept for the session.
import { subscribe } from '../../shared/rpc/client';
import type { StatsSample, TerminalSessionInfo } from '../../shared/workbench-types';
import { api } from '../client/connection';
import { toErrorData } from './resource-slice';

export type WorkbenchTab = 'terminal' | 'logs' | 'stats' | 'inspect' | 'files' | 'hood';

/** About an hour of one-per-second samples per container. */
export const statsHistoryLimit = 3600;

export interface WorkbenchState {
  details: { containerId: string; tab: WorkbenchTab } | undefined;
  /** The compose project whose merged logs are open, if any. */
  projectLogs: string | undefined;
  terminalSessions: Record<string, TerminalSessionInfo[]>;
  activeSession: Record<string, string>;
  statsHistory: Record<string, StatsSample[]>;
  statsError: Record<string, string>;

  openDetails(containerId: string, tab?: WorkbenchTab): void;
  closeDetails(): void;
  openProjectLogs(project: string): void;
  closeProjectLogs(): void;
  setTab(tab: WorkbenchTab): void;
  refreshSessions(containerId: string): Promise<void>;
  addSession(session: TerminalSessionInfo): void;
  markSessionExited(id: string, exitCode: number | null): void;
  setActiveSession(containerId: string, id: string): void;
  closeSession(containerId: string, id: string): Promise<void>;
  followStats(containerId: string): () => void;
}

type Set = (partial: Partial<WorkbenchState>) => void;
type Get = () => WorkbenchState & { notify(kind: 'error', message: string): void };

/** One engine stats subscription per container, shared by every chart that shows it. */
const statsFollowers = new Map<string, { count: number; stop: () => void }>();

export function appendSample(history: StatsSample[], sample: StatsSample): StatsSample[] {
  const next = history.length >= statsHistoryLimit ? history.slice(1) : history.slice();
  next.push(sample);
  return next;
}

export function createWorkbenchSlice(set: Set, get: Get): WorkbenchState {
  return {
    details: undefined,
    projectLogs: undefined,
    terminalSessions: {},
    activeSession: {},
    statsHistory: {},
    statsError: {},

    openDetails: (containerId, tab) =>
      set({
        details: { containerId, tab: tab ?? get().details?.tab ?? 'terminal' },
        projectLogs: undefined,
      }),
    closeDetails: () => set({ details: undefined }),
    openProjectLogs: (project) => set({ projectLogs: project, details: undefined }),
    closeProjectLogs: () => set({ projectLogs: undefined }),
    setTab: (tab) => {
      const details = get().details;
      if (details) set({ details: { ...details, tab } });
    },
    refreshSessions: async (containerId) => {
      try {
        const sessions = await api.terminal.list({ containerId });
        set({ terminalSessions: { ...get().terminalSessions, [containerId]: sessions } });
      } catch (error) {
        get().notify('error', `Terminal sessions: ${toErrorData(error).message}`);
      }
    },
    addSession: (session) => {
      const current = get().terminalSessions[session.containerId] ?? [];
      set({
        terminalSessions: {
          ...get().terminalSessions,
          [session.containerId]: [...current, session],
        },
        activeSession: { ...get().activeSession, [session.containerId]: session.id },
      });
    },
    markSessionExited: (id, exitCode) => {
      const sessions = get().terminalSessions;
      const next: Record<string, TerminalSessionInfo[]> = {};
      for (const [containerId, list] of Object.entries(sessions)) {
        next[containerId] = list.map((session) =>
          session.id === id
            ? { ...session, exited: true, ...(exitCode === null ? {} : { exitCode }) }
            : session,
        );
      }
      set({ terminalSessions: next });
    },
    setActiveSession: (containerId, id) =>
      set({ activeSession: { ...get().activeSession, [containerId]: id } }),
    closeSession: async (containerId, id) => {
      try {
        await api.terminal.close({ id });
      } catch (error) {
        get().notify('error', `Close terminal: ${toErrorData(error).message}`);
      }
      const remaining = (get().terminalSessions[containerId] ?? []).filter(
        (session) => session.id !== id,
      );
      const active = get().activeSession[containerId];
      set({
        terminalSessions: { ...get().terminalSessions, [containerId]: remaining },
        activeSession: {
          ...get().activeSession,
          [containerId]: active === id ? (remaining.at(-1)?.id ?? '') : (active ?? ''),
        },
      });
    },
    followStats: (containerId) => {
      const existing = statsFollowers.get(containerId);
      if (existing) existing.count++;
      else {
        const stop = subscribe<StatsSample>(
          (options) => api.stats.follow({ id: containerId }, options),
          (sample) =>
            set({
              statsHistory: {
                ...get().statsHistory,
                [containerId]: appendSample(get().statsHistory[containerId] ?? [], sample),
              },
            }),
          (error) => {
            statsFollowers.delete(containerId);
            if (error) set({ statsError: { ...get().statsError, [containerId]: error.message } });
          },
        );
        statsFollowers.set(containerId, { count: 1, stop });
      }
      return () => {
        const follower = statsFollowers.get(containerId);
        if (!follower) return;
        if (--follower.count === 0) {
          follower.stop();
          statsFollowers.delete(containerId);
        }
      };
    },
  };
}
