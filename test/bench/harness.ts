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
  /** Runs once per engine before the samples (pulls, creates containers...). */
  prepare?(engine: BenchEngine, context: BenchContext): Promise<void>;
  /** One sample. */
  sample(engine: BenchEngine, context: BenchContext, index: number): Promise<number>;
  /** Runs once per engine after the samples. */
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

export async function runScenario(
  scenario: Scenario,
  engines: { berthd: BenchEngine; dockerd: BenchEngine },
  context: BenchContext,
): Promise<ScenarioResult> {
  const medians: Record<'berthd' | 'dockerd', number> = { berthd: Number.NaN, dockerd: Number.NaN };
  for (const engine of [engines.dockerd, engines.berthd]) {
    await scenario.prepare?.(engine, context);
    try {
      const values: number[] = [];
      for (let index = 0; index < scenario.samples; index++)
        values.push(await scenario.sample(engine, context, index));
      medians[engine.name] = median(values);
    } finally {
      await scenario.cleanup?.(engine, context);
    }
  }
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
