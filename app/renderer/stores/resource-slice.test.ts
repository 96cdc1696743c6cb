import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../shared/errors';
import { emptyResource, makeRefresher, type ResourceState } from './resource-slice';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('resource refresher', () => {
  it('keeps the newest answer when an older request finishes last', async () => {
    let state: ResourceState<string> = emptyResource();
    const answers = [deferred<string[]>(), deferred<string[]>()];
    let call = 0;
    const refresh = makeRefresher(
      () => answers[call++]!.promise,
      () => state,
      (next) => (state = next),
    );
    const first = refresh();
    const second = refresh();
    answers[1]!.resolve(['new']);
    await second;
    answers[0]!.resolve(['old']);
    await first;
    expect(state).toEqual({ items: ['new'], loaded: true, loading: false, error: undefined });
  });

  it('shows a failure as an error next to the last known items, never as an empty list', async () => {
    let state: ResourceState<string> = {
      items: ['a'],
      loaded: true,
      loading: false,
      error: undefined,
    };
    const refresh = makeRefresher(
      () => Promise.reject(new ServiceError('engine_unreachable', 'Cannot reach the engine')),
      () => state,
      (next) => (state = next),
    );
    await refresh();
    expect(state.error).toEqual({ code: 'engine_unreachable', message: 'Cannot reach the engine' });
    expect(state.items).toEqual(['a']);
    expect(state.loaded).toBe(true);
  });
});
