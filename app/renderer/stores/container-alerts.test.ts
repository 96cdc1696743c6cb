import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../shared/types';
import { ContainerAlertWatcher, restartLoopQuietMs, userStopWindowMs } from './container-alerts';

function event(action: string, attributes: Record<string, string> = {}, id = 'c1'): EngineEvent {
  return { type: 'container', action, id, attributes: { name: 'web', ...attributes }, time: 0 };
}

describe('ContainerAlertWatcher', () => {
  it('alerts on a non-zero exit nobody asked for, with the meaning of the code', () => {
    const watcher = new ContainerAlertWatcher();
    const alert = watcher.observe(event('die', { exitCode: '139' }), 1000);
    expect(alert).toMatchObject({ kind: 'exited', containerId: 'c1', name: 'web' });
    expect(alert?.message).toBe('web exited unexpectedly: exit code 139 (segmentation fault)');
  });

  it('stays quiet for a clean exit and for a stop the user asked for', () => {
    const watcher = new ContainerAlertWatcher();
    expect(watcher.observe(event('die', { exitCode: '0' }), 1000)).toBeUndefined();
    watcher.observe(event('kill', { signal: '15' }), 2000);
    expect(watcher.observe(event('die', { exitCode: '143' }), 3000)).toBeUndefined();
    watcher.observe(event('stop'), 4000);
    expect(watcher.observe(event('die', { exitCode: '137' }), 5000)).toBeUndefined();
  });

  it('forgets an old stop: a later crash still alerts', () => {
    const watcher = new ContainerAlertWatcher();
    watcher.observe(event('kill'), 0);
    expect(watcher.observe(event('die', { exitCode: '1' }), userStopWindowMs + 1)?.kind).toBe(
      'exited',
    );
  });

  it('reports an out-of-memory kill even when the exit looks like a kill', () => {
    const watcher = new ContainerAlertWatcher();
    watcher.observe(event('oom'), 1000);
    watcher.observe(event('kill'), 1001);
    const alert = watcher.observe(event('die', { exitCode: '137' }), 1002);
    expect(alert?.message).toContain('out of memory');
  });

  it('detects a restart loop, then stays quiet for a while', () => {
    const watcher = new ContainerAlertWatcher();
    expect(watcher.observe(event('die', { exitCode: '1' }), 0)?.kind).toBe('exited');
    expect(watcher.observe(event('die', { exitCode: '1' }), 5_000)?.kind).toBe('exited');
    const loop = watcher.observe(event('die', { exitCode: '1' }), 10_000);
    expect(loop?.kind).toBe('restart-loop');
    expect(loop?.message).toContain('3 exits');
    expect(watcher.observe(event('die', { exitCode: '1' }), 15_000)).toBeUndefined();
    expect(
      watcher.observe(event('die', { exitCode: '1' }), 10_000 + restartLoopQuietMs + 1)?.kind,
    ).toBe('exited');
  });

  it('keeps containers apart and forgets destroyed ones', () => {
    const watcher = new ContainerAlertWatcher();
    watcher.observe(event('kill', {}, 'a'), 0);
    expect(watcher.observe(event('die', { exitCode: '2' }, 'b'), 1)?.containerId).toBe('b');
    watcher.observe(event('destroy', {}, 'a'), 2);
    expect(watcher.observe(event('die', { exitCode: '2' }, 'a'), 3)?.kind).toBe('exited');
  });

  it('alerts when a health check turns unhealthy, in either event spelling', () => {
    const watcher = new ContainerAlertWatcher();
    expect(watcher.observe(event('health_status: unhealthy'), 0)?.kind).toBe('unhealthy');
    expect(watcher.observe(event('health_status: healthy'), 0)).toBeUndefined();
    expect(
      watcher.observe(event('health_status', { health_status: 'unhealthy' }), 0)?.message,
    ).toBe('web is unhealthy: its health check is failing');
  });

  it('ignores events of other resources', () => {
    const watcher = new ContainerAlertWatcher();
    expect(
      watcher.observe({ type: 'image', action: 'die', id: 'x', attributes: {}, time: 0 }, 0),
    ).toBeUndefined();
  });
});
