import { method, type ServiceOf } from '../contract';
import type { TerminalEvent, TerminalSessionInfo } from '../workbench-types';
import { dockerRef, v } from '../validation';

const sessionId = v.string({ min: 1, max: 64, pattern: /^[a-zA-Z0-9-]+$/ });
const size = v.number({ integer: true, min: 1, max: 1000 });

export const terminalSpec = {
  /** Starts a TTY exec in the container; the session lives in main until closed. */
  open: method<TerminalSessionInfo>()(
    v.object({
      containerId: dockerRef,
      command: v.array(v.string({ min: 1, max: 4096 }), { max: 64 }),
      user: v.optional(v.string({ max: 256, pattern: /^[^\s\p{Cc}]*$/u })),
      workdir: v.optional(v.string({ max: 4096, pattern: /^(\/[^\p{Cc}]*)?$/u })),
      cols: size,
      rows: size,
    }),
  ),
  /** Attach to the "main process" (docker attach): a session over the container's own TTY. */
  attachMain: method<TerminalSessionInfo>()(v.object({ containerId: dockerRef })),
  list: method<TerminalSessionInfo[]>()(v.object({ containerId: v.optional(dockerRef) })),
  /**
   * Subscription: the replay buffer, then live output, then an exit event. Aborting detaches
   * without ending the session.
   */
  attach: method<void, TerminalEvent>()(v.object({ id: sessionId })),
  input: method<void>()(v.object({ id: sessionId, data: v.string({ max: 65536 }) })),
  resize: method<void>()(v.object({ id: sessionId, cols: size, rows: size })),
  close: method<void>()(v.object({ id: sessionId })),
};

export type TerminalService = ServiceOf<typeof terminalSpec>;
