import { afterEach, describe, expect, it } from 'vitest';
import { fullCollection, startIdleCollector, type IdleCollector } from './idle-collector';

const MIB = 1024 * 1024;

/** A collector driven by hand: the test sets the loop's busyness and the memory figures. */
function manualCollector(
  options: { quietMs?: number; followUpQuietMs?: number; growthBytes?: number } = {},
) {
  const state = { busy: 0, heapTotal: 10 * MIB, arrayBuffers: 0, collected: 0 };
  const collector = startIdleCollector({
    checkIntervalMs: 60_000,
    quietMs: options.quietMs ?? 3000,
    followUpQuietMs: options.followUpQuietMs,
    quietUtilization: 0.05,
    growthBytes: options.growthBytes ?? 4 * MIB,
    utilization: () => state.busy,
    memory: () => ({ heapTotal: state.heapTotal, arrayBuffers: state.arrayBuffers }),
    collect: () => {
      state.collected++;
      // A collection gives the young generation and the dead Buffers back.
      state.heapTotal = 11 * MIB;
      state.arrayBuffers = 0;
    },
  });
  return { state, collector };
}

describe('idle collector', () => {
  const collectors: IdleCollector[] = [];
  afterEach(() => {
    for (const collector of collectors.splice(0)) collector.dispose();
  });

  it('collects once the loop stayed quiet long enough after memory grew', () => {
    const { state, collector } = manualCollector({ quietMs: 180_000 });
    collectors.push(collector);
    state.heapTotal = 40 * MIB;
    state.arrayBuffers = 20 * MIB;
    collector.check();
    collector.check();
    expect(state.collected).toBe(0);
    collector.check();
    expect(state.collected).toBe(1);
    expect(collector.collections).toBe(1);
  });

  it('waits while the loop is busy, and starts counting quiet time again after', () => {
    const { state, collector } = manualCollector({ quietMs: 120_000 });
    collectors.push(collector);
    state.heapTotal = 40 * MIB;
    collector.check();
    state.busy = 0.6;
    collector.check();
    state.busy = 0;
    collector.check();
    expect(state.collected).toBe(0);
    collector.check();
    expect(state.collected).toBe(1);
  });

  it('leaves a quiet daemon alone when memory did not grow since the last collection', () => {
    const { state, collector } = manualCollector({ quietMs: 60_000 });
    collectors.push(collector);
    state.heapTotal = 12 * MIB;
    for (let index = 0; index < 5; index++) collector.check();
    expect(state.collected).toBe(0);
    state.arrayBuffers = 30 * MIB;
    collector.check();
    expect(state.collected).toBe(1);
    // Memory that grew slowly while quiet owes no follow-up, and the baseline is met again.
    for (let index = 0; index < 10; index++) collector.check();
    expect(state.collected).toBe(1);
  });

  /** A quiet daemon whose grown buffers were collected once, with the follow-up still owed. */
  function collectedOnceWithFollowUpDue() {
    const made = manualCollector({ quietMs: 120_000, followUpQuietMs: 240_000 });
    collectors.push(made.collector);
    made.state.arrayBuffers = 24 * MIB;
    made.collector.check();
    made.collector.check();
    expect(made.state.collected).toBe(1);
    return made;
  }

  it('collects once more later in the same quiet stretch, for buffers idle pools dropped', () => {
    const { state, collector } = collectedOnceWithFollowUpDue();
    collector.check();
    expect(state.collected).toBe(1);
    collector.check();
    expect(state.collected).toBe(2);
  });

  it('drops the follow-up when work starts again', () => {
    const { state, collector } = collectedOnceWithFollowUpDue();
    state.busy = 0.5;
    collector.check();
    state.busy = 0;
    for (let index = 0; index < 6; index++) collector.check();
    // Nothing grew during the short burst: no second collection is owed.
    expect(state.collected).toBe(1);
  });

  it('reaches V8 full collection without --expose-gc and frees unreachable buffers', async () => {
    const collect = fullCollection();
    let freed = false;
    const registry = new FinalizationRegistry(() => {
      freed = true;
    });
    (() => registry.register(Buffer.alloc(4 * MIB).buffer, 'buffer'))();
    collect();
    // Finalisers run in a later task.
    for (let attempt = 0; attempt < 20 && !freed; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      collect();
    }
    expect(freed).toBe(true);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });

  it('runs its own timer, which never keeps the process alive', async () => {
    let collected = 0;
    const collector = startIdleCollector({
      checkIntervalMs: 5,
      quietMs: 5,
      growthBytes: 0,
      utilization: () => 0,
      collect: () => collected++,
    });
    collectors.push(collector);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(collected).toBeGreaterThan(0);
    collector.dispose();
    const after = collected;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(collected).toBe(after);
  });
});
