import { describe, expect, it } from 'vitest';
import { applyProbe, probeCommand, type Health } from './health';

const starting: Health = { Status: 'starting', FailingStreak: 0, Log: [] };
const at = new Date('2026-01-01T00:00:00Z');
const probe = (exitCode: number) => ({ exitCode, output: `out${exitCode}`, start: at, end: at });

describe('probeCommand', () => {
  it('CMD runs directly, CMD-SHELL through sh, NONE and empty disable', () => {
    expect(probeCommand(['CMD', 'curl', '-f', 'x'])).toEqual(['curl', '-f', 'x']);
    expect(probeCommand(['CMD-SHELL', 'test -f /ok'])).toEqual(['/bin/sh', '-c', 'test -f /ok']);
    expect(probeCommand(['NONE'])).toBeUndefined();
    expect(probeCommand([])).toBeUndefined();
    expect(probeCommand(undefined)).toBeUndefined();
  });
});

describe('applyProbe', () => {
  it('a success makes it healthy and resets the streak', () => {
    expect(applyProbe({ ...starting, FailingStreak: 2 }, probe(0), false, 3)).toMatchObject({
      Status: 'healthy',
      FailingStreak: 0,
    });
  });

  it('Retries consecutive failures make it unhealthy', () => {
    let health = applyProbe(starting, probe(0), false, 2);
    health = applyProbe(health, probe(1), false, 2);
    expect(health).toMatchObject({ Status: 'healthy', FailingStreak: 1 });
    health = applyProbe(health, probe(1), false, 2);
    expect(health).toMatchObject({ Status: 'unhealthy', FailingStreak: 2 });
  });

  it('failures in the start period do not count while still starting', () => {
    const health = applyProbe(starting, probe(1), true, 1);
    expect(health).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(health.Log).toHaveLength(1);
  });

  it('keeps the last five results', () => {
    let health = starting;
    for (let i = 0; i < 7; i++) health = applyProbe(health, probe(i % 2), false, 10);
    expect(health.Log.map((entry) => entry.Output)).toEqual([
      'out0',
      'out1',
      'out0',
      'out1',
      'out0',
    ]);
  });
});
