// The Terminal tab: session tabs for the container, the shell picker (remembered per image), user
// and working directory, "attach to the main process", and the exited → reconnect state.
import { useEffect, useState } from 'react';
import type { ContainerSummary } from '../../shared/types';
import type { TerminalSessionInfo } from '../../shared/workbench-types';
import { api } from '../client/connection';
import { toErrorData } from '../stores/resource-slice';
import { useBerth } from '../stores/store';
import {
  fromRemembered,
  shellChoices,
  shellCommand,
  toRemembered,
  type ShellChoice,
} from './shell-command';
import { TerminalView } from './TerminalView';

const defaultSize = { cols: 100, rows: 30 };

/** Containers whose first session this window already opened by itself (at most once each). */
const autoOpenedFor = new Set<string>();

export function TerminalPanel({
  container,
  theme,
}: {
  container: ContainerSummary;
  theme: 'light' | 'dark';
}) {
  const sessions = useBerth((state) => state.terminalSessions[container.id]);
  const activeId = useBerth((state) => state.activeSession[container.id] ?? '');
  const remembered = useBerth((state) => state.settings?.shellsByImage?.[container.image]);
  const refreshSessions = useBerth((state) => state.refreshSessions);
  const addSession = useBerth((state) => state.addSession);
  const setActive = useBerth((state) => state.setActiveSession);
  const closeSession = useBerth((state) => state.closeSession);
  const updateSettings = useBerth((state) => state.updateSettings);
  const notify = useBerth((state) => state.notify);
  const initial = fromRemembered(remembered?.shell);
  const [choice, setChoice] = useState<ShellChoice>(initial.choice);
  const [custom, setCustom] = useState(initial.custom);
  const [user, setUser] = useState(remembered?.user ?? '');
  const [workdir, setWorkdir] = useState(remembered?.workdir ?? '');
  const [busy, setBusy] = useState(false);
  const running = container.state === 'running';

  useEffect(() => {
    void refreshSessions(container.id);
  }, [container.id, refreshSessions]);

  const open = async (replace?: TerminalSessionInfo) => {
    let command: string[];
    try {
      command = replace?.command ?? shellCommand(choice, custom);
    } catch (error) {
      notify('error', `Terminal: ${(error as Error).message}`);
      return;
    }
    setBusy(true);
    try {
      const session = await api.terminal.open({
        containerId: container.id,
        command,
        ...((replace?.user ?? user) ? { user: replace?.user ?? user } : {}),
        ...((replace?.workdir ?? workdir) ? { workdir: replace?.workdir ?? workdir } : {}),
        ...defaultSize,
      });
      addSession(session);
      if (replace) await closeSession(container.id, replace.id);
      if (!replace) {
        const shells = { ...(useBerth.getState().settings?.shellsByImage ?? {}) };
        shells[container.image] = {
          shell: toRemembered(choice, custom),
          ...(user ? { user } : {}),
          ...(workdir ? { workdir } : {}),
        };
        void updateSettings({ shellsByImage: shells });
      }
    } catch (error) {
      notify('error', `Open terminal: ${toErrorData(error).message}`);
    } finally {
      setBusy(false);
    }
  };

  const attachMain = async () => {
    try {
      addSession(await api.terminal.attachMain({ containerId: container.id }));
    } catch (error) {
      notify('error', `Attach: ${toErrorData(error).message}`);
    }
  };

  // Opening the tab on a running container with no session yet starts one with the remembered
  // shell, so the common case is one click.
  useEffect(() => {
    if (!running || sessions === undefined || sessions.length > 0) return;
    if (autoOpenedFor.has(container.id)) return;
    autoOpenedFor.add(container.id);
    void open();
    // open() reads the picker state at the time of the first render on purpose.
    // (Re-running it on every keystroke in the picker would open sessions.)
  });

  const active = sessions?.find((session) => session.id === activeId) ?? sessions?.at(-1);

  return (
    <div className="terminal-panel">
      <div className="terminal-toolbar">
        <div className="session-tabs" role="tablist" aria-label="Terminal sessions">
          {(sessions ?? []).map((session, index) => (
            <span
              key={session.id}
              className={`session-tab${session.id === active?.id ? ' active' : ''}${session.exited ? ' exited' : ''}`}
            >
              <button
                type="button"
                role="tab"
                aria-selected={session.id === active?.id}
                data-testid="terminal-session-tab"
                onClick={() => setActive(container.id, session.id)}
              >
                {index + 1}:{' '}
                {session.command.length > 2 ? session.command[0] : session.command.join(' ')}
                {session.exited ? ' (exited)' : ''}
              </button>
              <button
                type="button"
                className="close"
                aria-label={`Close session ${index + 1}`}
                onClick={() => void closeSession(container.id, session.id)}
              >
                ×
              </button>
            </span>
          ))}
        </div>
        <select
          aria-label="Shell"
          data-testid="shell-picker"
          value={choice}
          onChange={(event) => setChoice(event.target.value as ShellChoice)}
        >
          {shellChoices.map((entry) => (
            <option key={entry.id} value={entry.id}>
              {entry.label}
            </option>
          ))}
        </select>
        {choice === 'custom' && (
          <input
            aria-label="Custom command"
            data-testid="shell-custom"
            placeholder="e.g. python3 -q"
            value={custom}
            onChange={(event) => setCustom(event.target.value)}
          />
        )}
        <input
          aria-label="User"
          className="short"
          placeholder="user"
          value={user}
          onChange={(event) => setUser(event.target.value)}
        />
        <input
          aria-label="Working directory"
          className="short"
          placeholder="/workdir"
          value={workdir}
          onChange={(event) => setWorkdir(event.target.value)}
        />
        <button
          type="button"
          className="small primary"
          data-testid="terminal-new"
          disabled={!running || busy}
          onClick={() => void open()}
        >
          New session
        </button>
        <button
          type="button"
          className="small"
          disabled={!running}
          onClick={() => void attachMain()}
        >
          Attach to main process
        </button>
      </div>
      {!running && (sessions ?? []).length === 0 && (
        <p className="empty">Start the container to open a terminal in it.</p>
      )}
      {active && (
        <div className="terminal-frame">
          <TerminalView key={active.id} session={active} theme={theme} />
          {active.exited && (
            <div className="terminal-exited" data-testid="terminal-exited">
              <span>
                Process exited{active.exitCode !== undefined ? ` (code ${active.exitCode})` : ''}
              </span>
              <button
                type="button"
                className="small primary"
                disabled={!running || busy}
                onClick={() => void open(active)}
              >
                Reconnect
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
