import { describe, expect, it } from 'vitest';
import { median, runScenario, type BenchEngine, type Scenario } from './harness';

const engines: { berthd: BenchEngine; dockerd: BenchEngine } = {
  berthd: { name: 'berthd', socket: '/b', host: 'unix:///b' },
  dockerd: { name: 'dockerd', socket: '/d', host: 'unix:///d' },
};

describe('bench harness', () => {
  it('takes the median of odd and even sample counts', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('reports berthd/dockerd ratios and judges goals by direction', async () => {
    const calls: string[] = [];
    const latency: Scenario = {
      name: 'latency',
      unit: 'ms',
      higherIsBetter: false,
      samples: 3,
      goalRatio: 0.35,
      prepare: async (engine) => void calls.push(`prepare ${engine.name}`),
      sample: async (engine, _context, index) =>
        engine.name === 'berthd' ? 80 + index : 260 + index,
      cleanup: async (engine) => void calls.push(`cleanup ${engine.name}`),
    };
    const result = await runScenario(latency, engines, { registryHost: '127.0.0.1:1' });
    expect(result.berthd).toBe(81);
    expect(result.dockerd).toBe(261);
    expect(result.ratio).toBeCloseTo(81 / 261);
    expect(result.goalMet).toBe(true);
    expect(calls).toEqual([
      'prepare dockerd',
      'cleanup dockerd',
      'prepare berthd',
      'cleanup berthd',
    ]);

    const throughput: Scenario = {
      ...latency,
      higherIsBetter: true,
      goalRatio: 3,
      sample: async (engine) => (engine.name === 'berthd' ? 60 : 30),
    };
    const slow = await runScenario(throughput, engines, { registryHost: '127.0.0.1:1' });
    expect(slow.ratio).toBe(2);
    expect(slow.goalMet).toBe(false);
  });
});
