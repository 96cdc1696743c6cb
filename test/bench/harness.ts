// The bench harness: every scenario runs against berthd and Debian's dockerd in the same run,
// on the same machine, and is reported as medians and a berthd/dockerd ratio. Never a test.

export interface BenchEngine {
  name: 'berthd' | 'dockerd';
  socket: string;
  /** `unix://…` for `docker -H`. */
  host: string;
}

export interface BenchContext {
  /** host:port of a loopback registry holding the scenario images. */
  registryHost: string;
}

export interface Scenario {
  name: string;
  /** What one sample measures, e.g. 'ms' or 'MB/s'. */
  unit: string;
  /** For throughput scenarios a bigger number is better; for latency a smaller one. */
  higherIsBetter: boolean;
  samples: number;
  /** The goal as a ratio berthd/dockerd, checked and printed, never asserted. */
  goalRatio?: number;
  /** Runs once per engine before any sample (pulls, creates containers...). */
  prepare?(engine: BenchEngine, context: BenchContext): Promise<void>;
  /** One sample. */
  sample(engine: BenchEngine, context: BenchContext, index: number): Promise<number>;
  /** Runs once per engine after all samples. */
  cleanup?(engine: BenchEngine, context: BenchContext): Promise<void>;
}

export interface ScenarioResult {
  scenario: string;
  unit: string;
  berthd: number;
  dockerd: number;
  /** berthd / dockerd medians. */
  ratio: number;
  goalRatio?: number;
  goalMet?: boolean;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The samples run in BLOCKS blocks per engine, the engines taking turns (dockerd first): a
 * machine that speeds up or slows down during the run (it does here, by a fifth and more within
 * a minute) then weighs on both engines instead of on whichever ran at the time.
 */
export const BLOCKS = 3;

export async function runScenario(
  scenario: Scenario,
  engines: { berthd: BenchEngine; dockerd: BenchEngine },
  context: BenchContext,
): Promise<ScenarioResult> {
  const order = [engines.dockerd, engines.berthd];
  const values: Record<'berthd' | 'dockerd', number[]> = { berthd: [], dockerd: [] };
  const prepared: BenchEngine[] = [];
  try {
    for (const engine of order) {
      prepared.push(engine);
      await scenario.prepare?.(engine, context);
    }
    const perBlock = Math.ceil(scenario.samples / BLOCKS);
    while (values.berthd.length < scenario.samples) {
      for (const engine of order) {
        const taken = values[engine.name];
        const blockEnd = Math.min(taken.length + perBlock, scenario.samples);
        while (taken.length < blockEnd)
          taken.push(await scenario.sample(engine, context, taken.length));
      }
    }
  } finally {
    for (const engine of prepared) await scenario.cleanup?.(engine, context);
  }
  const medians = { berthd: median(values.berthd), dockerd: median(values.dockerd) };
  const ratio = medians.berthd / medians.dockerd;
  const goalMet =
    scenario.goalRatio === undefined
      ? undefined
      : scenario.higherIsBetter
        ? ratio >= scenario.goalRatio
        : ratio <= scenario.goalRatio;
  return {
    scenario: scenario.name,
    unit: scenario.unit,
    berthd: medians.berthd,
    dockerd: medians.dockerd,
    ratio,
    goalRatio: scenario.goalRatio,
    goalMet,
  };
}

export function formatResults(results: ScenarioResult[]): string {
  const rows = results.map((result) => {
    const goal =
      result.goalRatio === undefined
        ? ''
        : ` goal ${result.goalRatio}× ${result.goalMet ? 'met' : 'NOT met'}`;
    return `${result.scenario.padEnd(44)} berthd ${result.berthd.toFixed(1).padStart(9)} ${result.unit.padEnd(5)} dockerd ${result.dockerd
      .toFixed(1)
      .padStart(9)} ${result.unit.padEnd(5)} ratio ${result.ratio.toFixed(2)}×${goal}`;
  });
  return rows.join('\n');
}
