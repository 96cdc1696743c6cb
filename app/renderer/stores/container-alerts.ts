// Turns engine events into alerts worth interrupting the user for: a container that exited
// unexpectedly (non-zero, not stopped by the user), one caught in a restart loop, or one whose
// health check turned unhealthy. Pure and clock-injected, so the rules are unit-tested.
import type { EngineEvent } from '../../shared/types';

export type ContainerAlertKind = 'exited' | 'restart-loop' | 'unhealthy';

export interface ContainerAlert {
  kind: ContainerAlertKind;
  containerId: string;
  name: string;
  message: string;
}

/** A stop/kill this recent before a 'die' means the user (or a tool) asked for it. */
export const userStopWindowMs = 30_000;
/** This many unexpected exits within the window is a restart loop. */
export const restartLoopExits = 3;
export const restartLoopWindowMs = 120_000;
/** After a restart-loop alert, the same container stays quiet for this long. */
export const restartLoopQuietMs = 300_000;

const exitMeanings: Record<number, string> = {
  1: 'application error',
  125: 'the engine could not run it',
  126: 'command not executable',
  127: 'command not found',
  134: 'aborted (SIGABRT)',
  137: 'killed (SIGKILL, often out of memory)',
  139: 'segmentation fault',
  143: 'terminated (SIGTERM)',
};

function describeExit(code: number, oomKilled: boolean): string {
  if (oomKilled) return `exit code ${code}, killed for running out of memory`;
  const meaning = exitMeanings[code];
  return meaning ? `exit code ${code} (${meaning})` : `exit code ${code}`;
}

interface ContainerHistory {
  userStopAt?: number;
  oomAt?: number;
  exits: number[];
  quietUntil?: number;
}

export class ContainerAlertWatcher {
  private readonly history = new Map<string, ContainerHistory>();

  private entry(id: string): ContainerHistory {
    let entry = this.history.get(id);
    if (!entry) {
      entry = { exits: [] };
      this.history.set(id, entry);
    }
    return entry;
  }

  /** Feeds one engine event; returns the alert it raises, if any. */
  observe(event: EngineEvent, now = Date.now()): ContainerAlert | undefined {
    if (event.type !== 'container' || !event.id) return undefined;
    const name = event.attributes.name ?? event.id.slice(0, 12);
    const action = event.action;
    if (action === 'destroy') {
      this.history.delete(event.id);
      return undefined;
    }
    if (action === 'stop' || action === 'kill') {
      this.entry(event.id).userStopAt = now;
      return undefined;
    }
    if (action === 'oom') {
      this.entry(event.id).oomAt = now;
      return undefined;
    }
    if (action.startsWith('health_status')) {
      const status = action.includes(':')
        ? action.slice(action.indexOf(':') + 1).trim()
        : (event.attributes.health_status ?? '');
      if (status !== 'unhealthy') return undefined;
      return {
        kind: 'unhealthy',
        containerId: event.id,
        name,
        message: `${name} is unhealthy: its health check is failing`,
      };
    }
    if (action !== 'die') return undefined;
    const entry = this.entry(event.id);
    const code = Number(event.attributes.exitCode ?? 0);
    const stoppedByUser =
      entry.userStopAt !== undefined && now - entry.userStopAt <= userStopWindowMs;
    entry.userStopAt = undefined;
    const oomKilled = entry.oomAt !== undefined && now - entry.oomAt <= userStopWindowMs;
    entry.oomAt = undefined;
    if ((stoppedByUser && !oomKilled) || (code === 0 && !oomKilled)) return undefined;
    entry.exits = entry.exits.filter((time) => now - time <= restartLoopWindowMs);
    entry.exits.push(now);
    if (entry.quietUntil !== undefined && now < entry.quietUntil) return undefined;
    if (entry.exits.length >= restartLoopExits) {
      entry.quietUntil = now + restartLoopQuietMs;
      return {
        kind: 'restart-loop',
        containerId: event.id,
        name,
        message: `${name} is in a restart loop: ${entry.exits.length} exits in ${Math.round(restartLoopWindowMs / 60_000)} minutes, last ${describeExit(code, oomKilled)}`,
      };
    }
    return {
      kind: 'exited',
      containerId: event.id,
      name,
      message: `${name} exited unexpectedly: ${describeExit(code, oomKilled)}`,
    };
  }
}
