// Milestone flow: browser mode serves the UI behind its token and shows the engine's own
// version and OS, as the engine reports them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopInOrder } from './helpers/cleanup';
import { startBrowserMode, type BrowserMode } from './helpers/browser-mode';
import { launchChromium, type ChromiumSession } from './helpers/chromium';
import { enginesUnderTest, startEngine, type TestEngine } from './helpers/engines';

describe.each(enginesUnderTest())('engine status over browser mode (%s)', (kind) => {
  let engine: TestEngine;
  let app: BrowserMode;
  let browser: ChromiumSession;

  beforeAll(async () => {
    engine = await startEngine(kind);
    app = await startBrowserMode({ engines: [engine.endpoint] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await stopInOrder(
      () => browser?.close(),
      () => app?.stop(),
      () => engine?.stop(),
    );
  });

  it('prints one URL with a token on loopback', () => {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  });

  it('refuses the page without the token', async () => {
    const response = await fetch(`${app.origin}/`);
    expect(response.status).toBe(401);
  });

  it('loads the printed URL and shows the engine version and OS', async () => {
    const version = await engine.docker.version();
    const info = (await engine.docker.info()) as { OperatingSystem: string };
    const { page } = browser;
    await page.goto(app.url);
    // The token moved into an HttpOnly cookie and out of the address bar.
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);
    const cookies = await browser.context.cookies(app.origin);
    expect(cookies.find((cookie) => cookie.name === 'berth_token')?.httpOnly).toBe(true);
    const status = page.getByTestId('engine-status');
    await expect
      .poll(() => status.getAttribute('data-state'), { timeout: 15_000 })
      .toBe('connected');
    await expect
      .poll(() => page.getByTestId('engine-version').textContent())
      .toContain(version.Version);
    expect(await page.getByTestId('engine-version').textContent()).toContain(version.ApiVersion);
    expect(await page.getByTestId('engine-os').textContent()).toContain(info.OperatingSystem);
    await page.screenshot({ path: `test/e2e/screenshots/engine-status-${kind}.png` });
  });
});
