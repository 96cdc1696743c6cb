// Electron smoke test: the real app window against a real engine. The Electron binary comes from
// GitHub at install time, so where it was never downloaded this test is skipped with the reason.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { stopInOrder } from './helpers/cleanup';
import { startEngine, type TestEngine } from './helpers/engines';

const electronMain = fileURLToPath(new URL('../../dist/app/electron-main.cjs', import.meta.url));

function electronBinary(): { path?: string; reason?: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { reason: `the electron package points at ${String(path)}, which does not exist` };
  } catch (error) {
    return {
      reason: `the Electron binary was never downloaded (${(error as Error).message.split('\n')[0]})`,
    };
  }
}

const binary = electronBinary();
if (!binary.path) console.warn(`Skipping the Electron smoke test: ${binary.reason}`);
const hasDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
if (binary.path && !hasDisplay)
  console.warn('Skipping the Electron smoke test: no DISPLAY (run under xvfb-run)');

describe.skipIf(!binary.path || !hasDisplay)('Electron smoke', () => {
  let engine: TestEngine | undefined;
  let app: ElectronApplication | undefined;

  afterAll(async () => {
    await stopInOrder(
      () => app?.close(),
      () => engine?.stop(),
    );
  });

  it('opens an isolated window that shows the engine', async () => {
    engine = await startEngine('dockerd');
    app = await electron.launch({
      executablePath: binary.path,
      args: [electronMain, '--engine', engine.endpoint],
    });
    const window = await app.firstWindow();
    await window
      .locator('[data-testid="engine-status"][data-state="connected"]')
      .waitFor({ timeout: 30_000 });
    // The page has the bridge but no Node.
    expect(
      await window.evaluate(() => typeof (window as unknown as { require?: unknown }).require),
    ).toBe('undefined');
    expect(
      await window.evaluate(
        () => (window as unknown as { berthBridge?: { transport: string } }).berthBridge?.transport,
      ),
    ).toBe('electron');
    // Sandboxed, isolated page: neither Node's process nor require leaks in.
    expect(await window.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe(
      'undefined',
    );
    await window.screenshot({ path: 'test/e2e/screenshots/electron-containers.png' });
  });
});
