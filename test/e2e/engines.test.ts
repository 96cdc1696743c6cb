// Two engines configured at once (the --engine one and DOCKER_HOST), switching between them in
// Settings; and an engine that cannot be reached, shown with its reason instead of empty lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopInOrder } from './helpers/cleanup';
import type { Page } from 'playwright-core';
import { startBrowserMode, type BrowserMode } from './helpers/browser-mode';
import { launchChromium, type ChromiumSession } from './helpers/chromium';
import { enginesUnderTest, startEngine, type TestEngine } from './helpers/engines';

const kinds = enginesUnderTest();
const [firstKind, secondKind] = [kinds[0]!, kinds[1] ?? kinds[0]!];

describe(`switching engines (${firstKind} + ${secondKind})`, () => {
  let first: TestEngine;
  let second: TestEngine;
  let app: BrowserMode;
  let browser: ChromiumSession;
  let page: Page;

  beforeAll(async () => {
    first = await startEngine(firstKind);
    second = await startEngine(secondKind);
    await first.docker.createVolume({ Name: 'lives-on-first' });
    await second.docker.createVolume({ Name: 'lives-on-second' });
    app = await startBrowserMode({ engines: [first.endpoint, second.endpoint] });
    browser = await launchChromium({ colorScheme: 'dark' });
    page = browser.page;
    await page.goto(app.url);
    await page
      .locator('[data-testid="engine-status"][data-state="connected"]')
      .waitFor({ timeout: 15_000 });
  });

  afterAll(async () => {
    await stopInOrder(
      () => browser?.close(),
      () => app?.stop(),
      () => second?.stop(),
      () => first?.stop(),
    );
  });

  it('lists both engines and switches every page to the chosen one', async () => {
    await page.getByTestId('nav-volumes').click();
    await page.getByTestId('volume-lives-on-first').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('volume-lives-on-second').count()).toBe(0);

    await page.getByTestId('nav-settings').click();
    await page.getByTestId('engine-cli').waitFor();
    await page.getByTestId('engine-docker-host').waitFor();
    expect(await page.getByTestId('engine-docker-host').textContent()).toContain(second.endpoint);
    await page.getByTestId('activate-docker-host').click();
    await expect
      .poll(() => page.getByTestId('engine-status').textContent(), { timeout: 15_000 })
      .toContain('DOCKER_HOST');
    await page.screenshot({ path: 'test/e2e/screenshots/settings-engines-dark.png' });

    await page.getByTestId('nav-volumes').click();
    await page.getByTestId('volume-lives-on-second').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('volume-lives-on-first').count()).toBe(0);

    // Live updates follow the new engine: a volume created behind the app's back shows up.
    await second.docker.createVolume({ Name: 'created-after-switch' });
    await page.getByTestId('volume-created-after-switch').waitFor({ timeout: 15_000 });
  });

  it('shows an unreachable engine with its reason, never as empty lists', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('engine-add-name').fill('Gone');
    await page.getByTestId('engine-add-endpoint').fill('unix:///nonexistent/berth/engine.sock');
    await page.getByTestId('engine-add').click();
    const row = page.locator('[data-testid^="engine-manual:"]');
    await row.waitFor();
    await row.getByRole('button', { name: 'Use' }).click();
    const status = page.locator('[data-testid="engine-status"][data-state="unreachable"]');
    await status.waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('engine-reason').textContent()).toBe(
      'No engine socket at /nonexistent/berth/engine.sock.',
    );
    await page.getByTestId('nav-containers').click();
    await page.getByTestId('error-panel').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('empty-containers').count()).toBe(0);
    await page.screenshot({ path: 'test/e2e/screenshots/engine-unreachable-dark.png' });

    // Back to a working engine: everything recovers.
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('activate-cli').click();
    await page
      .locator('[data-testid="engine-status"][data-state="connected"]')
      .waitFor({ timeout: 15_000 });
    await page.getByTestId('nav-volumes').click();
    await page.getByTestId('volume-lives-on-first').waitFor({ timeout: 15_000 });
  });
});
