import { describe, expect, it } from 'vitest';
import { maxRestartDelayMs, nextRestartDelay, shouldRestart } from './restart-policy';

const exit = (exitCode: number, manuallyStopped = false, restartCount = 0) => ({
  exitCode,
  manuallyStopped,
  restartCount,
});

describe('shouldRestart', () => {
  it('no never restarts; always and unless-stopped respect a manual stop', () => {
    expect(shouldRestart({ Name: 'no' }, exit(1))).toBe(false);
    expect(shouldRestart({ Name: 'always' }, exit(0))).toBe(true);
    expect(shouldRestart({ Name: 'always' }, exit(0, true))).toBe(false);
    expect(shouldRestart({ Name: 'unless-stopped' }, exit(2))).toBe(true);
    expect(shouldRestart({ Name: 'unless-stopped' }, exit(2, true))).toBe(false);
  });

  it('on-failure restarts non-zero exits up to the retry count', () => {
    expect(shouldRestart({ Name: 'on-failure' }, exit(0))).toBe(false);
    expect(shouldRestart({ Name: 'on-failure' }, exit(1, false, 100))).toBe(true);
    expect(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, exit(1, false, 1))).toBe(
      true,
    );
    expect(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, exit(1, false, 2))).toBe(
      false,
    );
  });
});

describe('nextRestartDelay', () => {
  it('doubles from 100 ms, caps at a minute, resets after a stable run', () => {
    expect(nextRestartDelay(0, 0)).toBe(100);
    expect(nextRestartDelay(100, 50)).toBe(200);
    expect(nextRestartDelay(40_000, 50)).toBe(maxRestartDelayMs);
    expect(nextRestartDelay(6400, 15_000)).toBe(100);
  });
});
