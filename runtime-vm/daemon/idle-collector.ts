// Gives memory back after heavy work. A pull, a 100 MB `docker logs` or a build leaves V8 with a
// grown young generation (up to 2 × 16 MiB of semi-spaces), old-space pages and dead Buffers whose
// memory is only released by a collection — and V8 collects on allocation, so a daemon that goes
// quiet keeps all of it. Once the event loop has been quiet for a while and the heap or the Buffer
// memory grew since the last collection, a full collection frees the dead Buffers (their memory
// goes back to the allocator). A second one runs later in the same quiet stretch: by then V8 also
// shrinks the young generation, and idle pools (the hash workers) have let go of their buffers.
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MemoryFigures {
  heapTotal: number;
  arrayBuffers: number;
}

export interface IdleCollectorOptions {
  /** How often the loop is looked at. */
  checkIntervalMs?: number;
  /** How long the loop must stay quiet before collecting. */
  quietMs?: number;
  /**
   * When, in the same quiet stretch, the second collection runs. Later than V8's 5 s window for
   * its allocation rate (the young generation only shrinks once that rate reads low) and than
   * the hash workers' 3 s idle stop (their rings become garbage then).
   */
  followUpQuietMs?: number;
  /** The share of each check interval the loop may be busy and still count as quiet. */
  quietUtilization?: number;
  /** Collect only when heapTotal + arrayBuffers grew by this much since the last collection. */
  growthBytes?: number;
  /** For tests: the collection, the memory figures and the loop utilisation since a mark. */
  collect?: () => void;
  memory?: () => MemoryFigures;
  utilization?: () => number;
}

export interface IdleCollector {
  /** Collections run so far. */
  readonly collections: number;
  /** One look at the loop and the memory (the timer calls this). */
  check(): void;
  dispose(): void;
}

const MIB = 1024 * 1024;

/**
 * The full collection V8 runs for `global.gc()`, without starting berthd with --expose-gc: the
 * flag exposes `gc` to contexts created after it is set, and is switched off again at once.
 */
export function fullCollection(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

function loopUtilization(): () => number {
  let mark = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, mark);
    mark = now;
    return utilization;
  };
}

function memoryFigures(): MemoryFigures {
  const { heapTotal, arrayBuffers } = process.memoryUsage();
  return { heapTotal, arrayBuffers };
}

export function startIdleCollector(options: IdleCollectorOptions = {}): IdleCollector {
  const checkIntervalMs = options.checkIntervalMs ?? 500;
  const checksFor = (ms: number) => Math.max(1, Math.ceil(ms / checkIntervalMs));
  const quietChecks = checksFor(options.quietMs ?? 2000);
  const followUpChecks = Math.max(quietChecks + 1, checksFor(options.followUpQuietMs ?? 5500));
  const quietUtilization = options.quietUtilization ?? 0.05;
  const growthBytes = options.growthBytes ?? 4 * MIB;
  const memory = options.memory ?? memoryFigures;
  const utilization = options.utilization ?? loopUtilization();
  let collect = options.collect;
  const total = (figures: MemoryFigures) => figures.heapTotal + figures.arrayBuffers;

  let baseline = total(memory());
  let quietFor = 0;
  /** Whether a second collection is owed in this quiet stretch. */
  let followUpOwed = false;
  let collections = 0;

  const run = (): void => {
    collect ??= fullCollection();
    collect();
    collections++;
    baseline = total(memory());
  };

  const check = (): void => {
    if (utilization() > quietUtilization) {
      quietFor = 0;
      followUpOwed = false;
      return;
    }
    quietFor++;
    if (quietFor < quietChecks) return;
    if (followUpOwed) {
      // What idle pools let go of meanwhile, and the young generation V8 now agrees to shrink.
      if (quietFor < followUpChecks) return;
      followUpOwed = false;
      run();
      return;
    }
    if (total(memory()) - baseline < growthBytes) return;
    run();
    followUpOwed = quietFor < followUpChecks;
  };

  const timer = setInterval(check, checkIntervalMs);
  // Never what keeps berthd (or a test) alive.
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    check,
    dispose: () => clearInterval(timer),
  };
}
