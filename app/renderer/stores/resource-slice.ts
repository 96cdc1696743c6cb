// One typed slice per engine resource: the list, its error (never replaced by an empty list) and
// a refresh that ignores answers overtaken by a newer request.
import type { ServiceErrorData } from '../../shared/errors';

export interface ResourceState<T> {
  items: T[];
  loaded: boolean;
  loading: boolean;
  error: ServiceErrorData | undefined;
}

export const emptyResource = <T>(): ResourceState<T> => ({
  items: [],
  loaded: false,
  loading: false,
  error: undefined,
});

export function toErrorData(error: unknown): ServiceErrorData {
  const candidate = error as Partial<ServiceErrorData> | undefined;
  return {
    code: (candidate?.code as ServiceErrorData['code']) ?? 'internal',
    message: candidate?.message ?? String(error),
    ...(candidate?.details ? { details: candidate.details } : {}),
  };
}

/** Runs `fetch` and writes the outcome with `write`, dropping stale answers. */
export function makeRefresher<T>(
  fetch: () => Promise<T[]>,
  read: () => ResourceState<T>,
  write: (next: ResourceState<T>) => void,
): () => Promise<void> {
  let generation = 0;
  return async () => {
    const mine = ++generation;
    write({ ...read(), loading: true });
    try {
      const items = await fetch();
      if (mine === generation) write({ items, loaded: true, loading: false, error: undefined });
    } catch (error) {
      if (mine === generation)
        write({ ...read(), loading: false, loaded: true, error: toErrorData(error) });
    }
  };
}
