import { describe, expect, it } from 'vitest';
import { SharedJob } from './shared-job';

function deferredWork() {
  let signal: AbortSignal | undefined;
  let progress: ((message: object) => void) | undefined;
  let finish: ((value: string) => void) | undefined;
  const job = new SharedJob<string>((workSignal, onProgress) => {
    signal = workSignal;
    progress = onProgress;
    return new Promise<string>((resolve, reject) => {
      finish = resolve;
      workSignal.addEventListener('abort', () => reject(new Error('work aborted')));
    });
  });
  return {
    job,
    signal: () => signal!,
    progress: (message: object) => progress!(message),
    finish: (value: string) => finish!(value),
  };
}

describe('SharedJob', () => {
  it('fans progress out to every waiter and gives each the result', async () => {
    const work = deferredWork();
    const seenA: object[] = [];
    const seenB: object[] = [];
    const a = work.job.join(undefined, (m) => seenA.push(m));
    const b = work.job.join(undefined, (m) => seenB.push(m));
    work.progress({ status: 'Downloading' });
    work.finish('layer');
    await expect(a).resolves.toBe('layer');
    await expect(b).resolves.toBe('layer');
    expect(seenA).toEqual([{ status: 'Downloading' }]);
    expect(seenB).toEqual([{ status: 'Downloading' }]);
  });

  it('keeps working for the others when the first waiter hangs up', async () => {
    const work = deferredWork();
    const first = new AbortController();
    const a = work.job.join(first.signal, () => undefined);
    const b = work.job.join(undefined, () => undefined);
    first.abort(new Error('client hung up'));
    await expect(a).rejects.toThrow('client hung up');
    expect(work.signal().aborted).toBe(false);
    expect(work.job.waiters).toBe(1);
    work.finish('layer');
    await expect(b).resolves.toBe('layer');
  });

  it('aborts the work when the last waiter leaves', async () => {
    const work = deferredWork();
    const first = new AbortController();
    const second = new AbortController();
    const a = work.job.join(first.signal, () => undefined);
    const b = work.job.join(second.signal, () => undefined);
    first.abort(new Error('gone'));
    second.abort(new Error('gone too'));
    await expect(a).rejects.toThrow('gone');
    await expect(b).rejects.toThrow('gone too');
    expect(work.signal().aborted).toBe(true);
  });

  it('refuses a waiter whose signal already fired', async () => {
    const work = deferredWork();
    const done = new AbortController();
    done.abort(new Error('already gone'));
    await expect(work.job.join(done.signal, () => undefined)).rejects.toThrow('already gone');
    expect(work.job.waiters).toBe(0);
    work.finish('unused');
  });
});
