import { describe, expect, it } from 'vitest';
import { humanDuration, statusText, zeroTime } from './status-text';
import type { ContainerState } from './types';

const base: ContainerState = {
  Status: 'created',
  Running: false,
  Paused: false,
  Restarting: false,
  OOMKilled: false,
  Dead: false,
  Pid: 0,
  ExitCode: 0,
  Error: '',
  StartedAt: zeroTime,
  FinishedAt: zeroTime,
};
const now = Date.parse('2026-01-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

describe('humanDuration', () => {
  it.each([
    [500, 'Less than a second'],
    [1000, '1 second'],
    [5000, '5 seconds'],
    [90_000, 'About a minute'],
    [5 * 60_000, '5 minutes'],
    [3_600_000, 'About an hour'],
    [5 * 3_600_000, '5 hours'],
    [3 * 86_400_000, '3 days'],
    [20 * 86_400_000, '2 weeks'],
    [90 * 86_400_000, '3 months'],
    [800 * 86_400_000, '2 years'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('statusText', () => {
  it('renders what docker ps prints', () => {
    expect(statusText(base, now)).toBe('Created');
    expect(
      statusText({ ...base, Status: 'running', Running: true, StartedAt: ago(5000) }, now),
    ).toBe('Up 5 seconds');
    expect(
      statusText(
        { ...base, Status: 'paused', Running: true, Paused: true, StartedAt: ago(120_000) },
        now,
      ),
    ).toBe('Up 2 minutes (Paused)');
    expect(
      statusText(
        { ...base, Status: 'exited', ExitCode: 137, StartedAt: ago(9000), FinishedAt: ago(3000) },
        now,
      ),
    ).toBe('Exited (137) 3 seconds ago');
    expect(
      statusText(
        {
          ...base,
          Status: 'restarting',
          Restarting: true,
          Running: true,
          ExitCode: 1,
          StartedAt: ago(9000),
          FinishedAt: ago(1000),
        },
        now,
      ),
    ).toBe('Restarting (1) 1 second ago');
    expect(
      statusText({ ...base, Status: 'removing', StartedAt: ago(5), FinishedAt: ago(1) }, now),
    ).toBe('Removal In Progress');
  });
});
