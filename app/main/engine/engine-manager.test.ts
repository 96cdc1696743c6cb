import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeEngine } from '../test-support/fake-engine';
import { compareApiVersions, EngineManager, hintFor } from './engine-manager';
import { SettingsStore } from './settings-store';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function manager(cliEngine: string, configDir?: string): EngineManager {
  return new EngineManager(new SettingsStore(configDir), {
    env: {},
    cliEngine,
    dockerConfigDir: '/nonexistent',
  });
}

describe('EngineManager', () => {
  it('compares API versions numerically', () => {
    expect(compareApiVersions('1.9', '1.40')).toBeLessThan(0);
    expect(compareApiVersions('1.43', '1.40')).toBeGreaterThan(0);
    expect(compareApiVersions('1.40', '1.40')).toBe(0);
  });

  it('explains a missing socket, naming the path', async () => {
    const status = await manager('unix:///nonexistent/berthd.sock').status();
    expect(status).toMatchObject({
      state: 'unreachable',
      reason: 'socket_missing',
      message: 'No engine socket at /nonexistent/berthd.sock.',
    });
  });

  it('says a file that is not a socket is not a socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-engine-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'plain'), '');
    expect(await manager(`unix://${join(dir, 'plain')}`).status()).toMatchObject({
      state: 'unreachable',
      reason: 'other',
    });
  });

  it('reports an engine that is too old', async () => {
    const engine = await startFakeEngine({ apiVersion: '1.39' });
    cleanups.push(() => engine.close());
    const status = await manager(engine.endpoint).status();
    expect(status).toMatchObject({ state: 'unreachable', reason: 'version_too_old' });
    if (status.state === 'unreachable') expect(status.message).toContain('Engine API 1.39');
  });

  it('tells a user without access to the socket to join the berth group', () => {
    const berthd = {
      id: 'berthd',
      name: 'Local berthd',
      kind: 'berthd' as const,
      endpoint: 'unix:///run/berth/berthd.sock',
    };
    expect(hintFor(berthd, 'permission_denied')).toBe(
      'Add yourself to the berth group: `sudo usermod -aG berth $USER`, then log in again.',
    );
    expect(hintFor({ ...berthd, kind: 'docker-host' }, 'permission_denied')).toContain('docker');
    expect(hintFor(berthd, 'socket_missing')).toContain('sudo berthd');
  });

  it('switches the active engine, persists it and notifies listeners', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-settings-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const engines = manager('unix:///a.sock', dir);
    const added = engines.add({ name: 'Remote', endpoint: 'tcp://10.0.0.9:2375' });
    const seen: string[] = [];
    const stop = engines.onActiveChange((engine) => seen.push(engine.id));
    engines.setActive(added.id);
    stop();
    expect(seen).toEqual([added.id]);
    expect(engines.activeEngine().endpoint).toBe('tcp://10.0.0.9:2375');
    const reopened = new EngineManager(new SettingsStore(dir), {
      env: {},
      dockerConfigDir: '/nonexistent',
    });
    expect(reopened.activeEngine().id).toBe(added.id);
    expect(() => engines.setActive('nope')).toThrow('no engine with id "nope"');
    expect(() => engines.remove('berthd')).toThrow('was not added by hand');
    engines.remove(added.id);
    expect(engines.list().some((engine) => engine.id === added.id)).toBe(false);
  });
});
