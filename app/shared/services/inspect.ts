import { method, type ServiceOf } from '../contract';
import type { ContainerInspection, IsolationReport } from '../workbench-types';
import { dockerRef, v } from '../validation';

export const inspectSpec = {
  /** Structured summary, raw JSON (secrets masked), risky settings and, when stopped, forensics. */
  container: method<ContainerInspection>()(v.object({ id: dockerRef })),
  /** What isolates the container, read from the engine and from inside it (short execs). */
  isolation: method<IsolationReport>()(v.object({ id: dockerRef })),
};

export type InspectService = ServiceOf<typeof inspectSpec>;
