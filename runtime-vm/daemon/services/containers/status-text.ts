// The human texts `docker ps` prints verbatim: "Up 5 seconds", "Exited (0) 3 seconds ago".
import type { ContainerState } from './types';

/** Docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

export const zeroTime = '0001-01-01T00:00:00Z';

/** The `Status` column for a container in this state, at `now` (ms since the epoch). */
export function statusText(state: ContainerState, now = Date.now()): string {
  const since = (iso: string) => humanDuration(Math.max(0, now - Date.parse(iso)));
  if (state.Restarting) {
    return `Restarting (${state.ExitCode}) ${since(state.FinishedAt)} ago`;
  }
  if (state.Running) {
    const health =
      state.Health && state.Health.Status !== 'none' ? ` (${healthWord(state.Health.Status)})` : '';
    if (state.Paused) return `Up ${since(state.StartedAt)} (Paused)`;
    return `Up ${since(state.StartedAt)}${health}`;
  }
  if (state.Status === 'removing') return 'Removal In Progress';
  if (state.Dead) return 'Dead';
  if (state.Status === 'created' || state.StartedAt === zeroTime) return 'Created';
  if (state.FinishedAt === zeroTime) return '';
  return `Exited (${state.ExitCode}) ${since(state.FinishedAt)} ago`;
}

function healthWord(status: string): string {
  return status === 'starting' ? 'health: starting' : status;
}
