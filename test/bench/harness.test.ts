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
      sample: async (engine, _context, index) => {
        calls.push(`${engine.name} ${index}`);
        return engine.name === 'berthd' ? 80 + index : 260 + index;
      },
      cleanup: async (engine) => void calls.push(`cleanup ${engine.name}`),
    };
    const result = await runScenario(latency, engines, { registryHost: '127.0.0.1:1' });
    expect(result.berthd).toBe(81);
    expect(result.dockerd).toBe(261);
    expect(result.ratio).toBeCloseTo(81 / 261);
    expect(result.goalMet).toBe(true);
    // Both prepared first; then the engines take turns, a block of samples each.
    expect(calls).toEqual([
      'prepare dockerd',
      'prepare berthd',
      'dockerd 0',
      'berthd 0',
      'dockerd 1',
      'berthd 1',
      'dockerd 2',
      'berthd 2',
      'cleanup dockerd',
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
  it('runs uneven sample counts in blocks, and cleans up after a failed sample', async () => {
    const calls: string[] = [];
    const blocks: Scenario = {
      name: 'blocks',
      unit: 'ms',
      higherIsBetter: false,
      samples: 7,
      sample: async (engine, _context, index) => {
        calls.push(`${engine.name[0]}${index}`);
        return index;
      },
    };
    await runScenario(blocks, engines, { registryHost: '127.0.0.1:1' });
    expect(calls.join(' ')).toBe('d0 d1 d2 b0 b1 b2 d3 d4 d5 b3 b4 b5 d6 b6');

    const cleaned: string[] = [];
    const failing: Scenario = {
      ...blocks,
      sample: async (engine) => {
        if (engine.name === 'berthd') throw new Error('sample failed');
        return 1;
      },
      cleanup: async (engine) => void cleaned.push(engine.name),
    };
    await expect(runScenario(failing, engines, { registryHost: '127.0.0.1:1' })).rejects.toThrow(
      'sample failed',
    );
    expect(cleaned).toEqual(['dockerd', 'berthd']);
  });
});
