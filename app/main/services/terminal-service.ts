import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { ServiceError } from '../../shared/errors';
import type { TerminalService } from '../../shared/services/terminal';
import type { TerminalEvent, TerminalSessionInfo } from '../../shared/workbench-types';
import type { EngineAccess } from '../engine/engine-manager';
import { toServiceError } from './errors';
import { TerminalSession, type SessionBackend } from './terminal-session';

/** Caps on what the (untrusted) renderer may keep alive in main. */
export const maxSessionsPerContainer = 8;
export const maxSessions = 64;

async function execBackend(
  engine: EngineAccess,
  args: {
    containerId: string;
    command: string[];
    user?: string;
    workdir?: string;
    cols: number;
    rows: number;
  },
): Promise<SessionBackend> {
  const container = engine.docker().getContainer(args.containerId);
  const exec = await container.exec({
    Cmd: args.command,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    Env: ['TERM=xterm-256color', 'COLORTERM=truecolor'],
    ...(args.user ? { User: args.user } : {}),
    ...(args.workdir ? { WorkingDir: args.workdir } : {}),
    // API ≥ 1.42 sizes the TTY before the first byte; older engines get the resize below.
    ConsoleSize: [args.rows, args.cols],
  } as Parameters<typeof container.exec>[0]);
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
  const backend: SessionBackend = {
    stream,
    resize: async (cols, rows) => {
      await exec.resize({ h: rows, w: cols });
    },
    exitCode: async () => {
      const info = await exec.inspect();
      return typeof info.ExitCode === 'number' ? info.ExitCode : null;
    },
  };
  // The exec's TTY exists once start returned; size it for engines that ignore ConsoleSize.
  await backend.resize(args.cols, args.rows).catch(() => undefined);
  return backend;
}

async function mainProcessBackend(
  engine: EngineAccess,
  containerId: string,
): Promise<SessionBackend> {
  const container = engine.docker().getContainer(containerId);
  const stream = (await container.attach({
    stream: true,
    stdin: true,
    stdout: true,
    stderr: true,
    hijack: true,
  })) as Duplex;
  return {
    stream,
    resize: async (cols, rows) => {
      await container.resize({ h: rows, w: cols });
    },
    exitCode: async () => {
      const info = await container.inspect();
      return info.State.Running ? null : info.State.ExitCode;
    },
  };
}

export function createTerminalService(engine: EngineAccess): TerminalService {
  const sessions = new Map<string, TerminalSession>();

  const find = (id: string): TerminalSession => {
    const session = sessions.get(id);
    if (!session) throw new ServiceError('not_found', `no terminal session ${id}`);
    return session;
  };

  const register = (info: TerminalSessionInfo, backend: SessionBackend): TerminalSessionInfo => {
    sessions.set(info.id, new TerminalSession(info, backend));
    return { ...info };
  };

  const checkCapacity = (containerId: string) => {
    // Exited sessions go first: they only hold a replay buffer.
    if (sessions.size >= maxSessions) {
      for (const [id, session] of sessions) {
        if (session.exited && sessions.size >= maxSessions) {
          session.dispose();
          sessions.delete(id);
        }
      }
    }
    const forContainer = [...sessions.values()].filter(
      (session) => session.info.containerId === containerId && !session.exited,
    );
    if (forContainer.length >= maxSessionsPerContainer || sessions.size >= maxSessions) {
      throw new ServiceError(
        'conflict',
        `too many terminal sessions (at most ${maxSessionsPerContainer} per container, ${maxSessions} in all); close one first`,
      );
    }
  };

  return {
    open: async (args) => {
      if (args.command.length === 0) {
        throw new ServiceError('invalid_argument', 'command: give the shell or program to run');
      }
      checkCapacity(args.containerId);
      let backend: SessionBackend;
      try {
        backend = await execBackend(engine, args);
      } catch (error) {
        throw toServiceError(error);
      }
      return register(
        {
          id: randomUUID(),
          containerId: args.containerId,
          command: args.command,
          user: args.user ?? '',
          workdir: args.workdir ?? '',
          createdAt: Date.now(),
          exited: false,
        },
        backend,
      );
    },
    attachMain: async ({ containerId }) => {
      checkCapacity(containerId);
      let backend: SessionBackend;
      try {
        backend = await mainProcessBackend(engine, containerId);
      } catch (error) {
        throw toServiceError(error);
      }
      return register(
        {
          id: randomUUID(),
          containerId,
          command: ['(attached to the main process)'],
          user: '',
          workdir: '',
          createdAt: Date.now(),
          exited: false,
        },
        backend,
      );
    },
    list: async ({ containerId }) =>
      [...sessions.values()]
        .filter((session) => !containerId || session.info.containerId === containerId)
        .map((session) => ({ ...session.info })),
    attach: ({ id }, options = {}) => {
      const session = find(id);
      return new Promise<void>((resolve) => {
        const emit = (event: TerminalEvent) => {
          options.onProgress?.(event);
          if (event.kind === 'exit') finish();
        };
        // The exit event may arrive inside session.attach (an ended session), before it returns.
        const attachment: { detach?: () => void } = {};
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          attachment.detach?.();
          options.signal?.removeEventListener('abort', finish);
          resolve();
        };
        options.signal?.addEventListener('abort', finish, { once: true });
        attachment.detach = session.attach(emit, options.backpressure);
        if (done) attachment.detach();
      });
    },
    input: async ({ id, data }) => find(id).write(data),
    resize: async ({ id, cols, rows }) => {
      try {
        await find(id).resize(cols, rows);
      } catch (error) {
        throw toServiceError(error);
      }
    },
    close: async ({ id }) => {
      const session = find(id);
      session.dispose();
      sessions.delete(id);
    },
  };
}
