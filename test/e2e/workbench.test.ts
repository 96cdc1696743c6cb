// The container workbench (issue 8) in Chromium against browser mode and a real engine: the
// terminal (type, read the xterm buffer, resize + stty size, paste, sessions surviving tab and
// page switches, exit → reconnect), the logs viewer on a container printing a million lines
// (follow, pause, search, download), live stats charts, inspect, and under the hood showing the
// real capabilities of a --cap-drop ALL container against the default. Screenshots of each tab
// in light and dark.
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBrowserMode, type BrowserMode } from './helpers/browser-mode';
import { launchChromium, type ChromiumSession } from './helpers/chromium';
import { stopInOrder } from './helpers/cleanup';
import { enginesUnderTest, startEngine, type TestEngine } from './helpers/engines';

const screenshotDir = 'test/e2e/screenshots';
const millionLines = 1_000_000;

async function pull(docker: Docker, ref: string): Promise<void> {
  const stream = await docker.pull(ref);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve())),
  );
}

async function runContainer(
  docker: Docker,
  image: string,
  name: string,
  command: string[],
  hostConfig: Docker.HostConfig = {},
): Promise<void> {
  const container = await docker.createContainer({
    Image: image,
    name,
    Cmd: command,
    HostConfig: { NetworkMode: 'none', ...hostConfig },
  });
  await container.start();
}

/** The text of the active session's xterm buffer (what the user sees plus scrollback). */
function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const terminals = (window as unknown as { berthTerminals?: Map<string, unknown> })
      .berthTerminals;
    const term = [...(terminals?.values() ?? [])].at(-1) as
      | {
          buffer: {
            active: {
              length: number;
              getLine(i: number): { translateToString(trim: boolean): string } | undefined;
            };
          };
        }
      | undefined;
    if (!term) return '';
    const lines: string[] = [];
    for (let index = 0; index < term.buffer.active.length; index++) {
      lines.push(term.buffer.active.getLine(index)?.translateToString(true) ?? '');
    }
    return lines.join('\n');
  });
}

function terminalSize(page: Page): Promise<{ cols: number; rows: number }> {
  return page.evaluate(() => {
    const terminals = (
      window as unknown as { berthTerminals?: Map<string, { cols: number; rows: number }> }
    ).berthTerminals;
    const term = [...(terminals?.values() ?? [])].at(-1);
    return { cols: term?.cols ?? 0, rows: term?.rows ?? 0 };
  });
}

async function typeInTerminal(page: Page, text: string): Promise<void> {
  await page.locator('.terminal-host .xterm').last().click();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

async function openContainer(page: Page, name: string): Promise<void> {
  await page.getByTestId('nav-containers').click();
  if (await page.getByTestId('details-back').isVisible())
    await page.getByTestId('details-back').click();
  await page.getByTestId(`open-${name}`).click();
  await page.getByTestId('container-details').waitFor();
}

describe.each(enginesUnderTest())('Container workbench (%s)', (kind) => {
  let registry: TestRegistry;
  let engine: TestEngine;
  let app: BrowserMode;
  let browser: ChromiumSession;
  let page: Page;

  beforeAll(async () => {
    registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
    const image = `${registry.host}/berth-test/busybox:latest`;
    engine = await startEngine(kind, { insecureRegistries: [registry.host] });
    await pull(engine.docker, image);
    await runContainer(engine.docker, image, 'wb-shell', ['sleep', '3600']);
    await runContainer(engine.docker, image, 'wb-chatty', [
      'sh',
      '-c',
      `seq 1 ${millionLines}; echo "to stderr: ERROR level=error" >&2; i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done`,
    ]);
    await runContainer(engine.docker, image, 'wb-capdrop', ['sleep', '3600'], { CapDrop: ['ALL'] });
    await runContainer(engine.docker, image, 'wb-exited', ['sh', '-c', 'echo last words; exit 3']);
    app = await startBrowserMode({ engines: [engine.endpoint] });
    browser = await launchChromium();
    page = browser.page;
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: app.origin,
    });
    await page.goto(app.url);
    await page
      .locator('[data-testid="engine-status"][data-state="connected"]')
      .waitFor({ timeout: 15_000 });
  });

  afterAll(async () => {
    await stopInOrder(
      () => browser?.close(),
      () => app?.stop(),
      () => engine?.stop(),
      () => registry?.stop(),
    );
  });

  it('opens a shell, runs ls /, and reads the output from the xterm buffer', async () => {
    await openContainer(page, 'wb-shell');
    await page.getByTestId('tab-terminal').click();
    await page.locator('.terminal-host .xterm').waitFor({ timeout: 15_000 });
    await expect.poll(() => terminalText(page), { timeout: 15_000 }).toMatch(/[#$] ?$/m);
    await typeInTerminal(page, 'ls /');
    await expect.poll(() => terminalText(page), { timeout: 10_000 }).toMatch(/bin[\s\S]*proc/);
    await page.screenshot({ path: `${screenshotDir}/workbench-terminal-${kind}-light.png` });
  });

  it('follows the panel size: stty size matches the terminal after a resize', async () => {
    const before = await terminalSize(page);
    await typeInTerminal(page, 'clear; stty size');
    await expect
      .poll(() => terminalText(page), { timeout: 10_000 })
      .toContain(`${before.rows} ${before.cols}`);
    await page.setViewportSize({ width: 1000, height: 640 });
    await expect
      .poll(async () => (await terminalSize(page)).cols, { timeout: 10_000 })
      .toBeLessThan(before.cols);
    const after = await terminalSize(page);
    await typeInTerminal(page, 'clear; stty size');
    await expect
      .poll(() => terminalText(page), { timeout: 10_000 })
      .toContain(`${after.rows} ${after.cols}`);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('pastes with Ctrl+Shift+V', async () => {
    await page.evaluate(() => navigator.clipboard.writeText('echo pasted-$((6*7))'));
    await page.locator('.terminal-host .xterm').last().click();
    await page.keyboard.press('Control+Shift+V');
    await page.keyboard.press('Enter');
    await expect.poll(() => terminalText(page), { timeout: 10_000 }).toContain('pasted-42');
  });

  it('keeps the session across tab and page switches', async () => {
    await page.getByTestId('tab-logs').click();
    await page.getByTestId('logs-panel').waitFor();
    await page.getByTestId('nav-images').click();
    await page.getByTestId('page-images').waitFor();
    await page.getByTestId('nav-containers').click();
    await page.getByTestId('tab-terminal').click();
    await expect.poll(() => terminalText(page), { timeout: 10_000 }).toContain('pasted-42');
    expect(await page.getByTestId('terminal-session-tab').count()).toBe(1);
    await typeInTerminal(page, 'echo still-$((1+1))');
    await expect.poll(() => terminalText(page), { timeout: 10_000 }).toContain('still-2');
  });

  it('takes a flood of output through its flow control and stays usable', async () => {
    // 3 MB: past main's 1 MiB window, so the engine stream is paused and resumed on xterm's pace.
    await typeInTerminal(page, 'clear; yes flood-line-xx | head -n 250000; echo flood-$((6*7))');
    await expect.poll(() => terminalText(page), { timeout: 60_000 }).toContain('flood-42');
    await typeInTerminal(page, 'clear; echo after-$((1+2))');
    await expect.poll(() => terminalText(page), { timeout: 10_000 }).toContain('after-3');
  });

  it('shows the exit code and reconnects', async () => {
    await typeInTerminal(page, 'exit 3');
    await expect
      .poll(() => page.getByTestId('terminal-exited').textContent(), { timeout: 10_000 })
      .toContain('code 3');
    await page.getByTestId('terminal-exited').getByRole('button', { name: 'Reconnect' }).click();
    await page.getByTestId('terminal-exited').waitFor({ state: 'detached', timeout: 10_000 });
    await typeInTerminal(page, 'echo back-$((2+3))');
    await expect.poll(() => terminalText(page), { timeout: 10_000 }).toContain('back-5');
  });

  it(`loads ${millionLines.toLocaleString()} lines, follows, pauses on scroll, searches and downloads`, async () => {
    await openContainer(page, 'wb-chatty');
    await page.getByTestId('tab-logs').click();
    // Frame pacing while a million lines stream in: the longest gap between animation frames.
    await page.evaluate(() => {
      const probe = { frames: 0, maxGap: 0, last: performance.now(), stop: false };
      (window as unknown as { framePacing: typeof probe }).framePacing = probe;
      const tick = (now: number) => {
        probe.frames++;
        probe.maxGap = Math.max(probe.maxGap, now - probe.last);
        probe.last = now;
        if (!probe.stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.getByTestId('logs-tail').selectOption('all');
    const lineCount = async () =>
      Number(await page.getByTestId('logs-line-count').getAttribute('data-count'));
    const received = async () =>
      Number(await page.getByTestId('logs-line-count').getAttribute('data-received'));
    const started = Date.now();
    await expect.poll(received, { timeout: 90_000, interval: 250 }).toBeGreaterThan(millionLines);
    const loadSeconds = (Date.now() - started) / 1000;
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((metric) => metric.name === 'JSHeapUsedSize')?.value ?? 0;
    await cdp.detach();
    const pacing = await page.evaluate(() => {
      const probe = (
        window as unknown as { framePacing: { frames: number; maxGap: number; stop: boolean } }
      ).framePacing;
      probe.stop = true;
      return probe;
    });
    console.log(
      `[workbench ${kind}] ${millionLines} log lines in ${loadSeconds.toFixed(1)} s; renderer JS heap ${(heap / 1024 / 1024).toFixed(0)} MiB; ${pacing.frames} frames, longest frame gap ${pacing.maxGap.toFixed(0)} ms`,
    );
    // The bounded buffer keeps (about) the last million lines.
    expect(await lineCount()).toBeGreaterThanOrEqual(millionLines * 0.99);
    expect(await lineCount()).toBeLessThanOrEqual(millionLines);
    const scroller = page.getByTestId('logs-scroller');
    // Following: new ticks keep the view at the end.
    expect(await scroller.getAttribute('data-following')).toBe('true');
    await expect
      .poll(() => page.locator('.log-line').last().textContent(), { timeout: 10_000 })
      .toMatch(/tick \d+/);
    await page.screenshot({ path: `${screenshotDir}/workbench-logs-${kind}-light.png` });
    // Scrolling up pauses and counts the new lines.
    await scroller.hover();
    await page.mouse.wheel(0, -2000);
    await expect.poll(() => scroller.getAttribute('data-following')).toBe('false');
    await expect
      .poll(() => page.getByTestId('logs-jump').textContent(), { timeout: 10_000 })
      .toMatch(/\d+ new lines/);
    const pausedFirst = await page.locator('.log-line').first().textContent();
    await page.waitForTimeout(600);
    expect(await page.locator('.log-line').first().textContent()).toBe(pausedFirst);
    // "Jump to end" resumes following.
    await page.getByTestId('logs-jump').click();
    await expect.poll(() => scroller.getAttribute('data-following')).toBe('true');
    await expect
      .poll(() => page.locator('.log-line').last().textContent(), { timeout: 10_000 })
      .toMatch(/tick \d+/);
    // Regex search with next/previous.
    await page.getByTestId('logs-regex').check();
    await page.getByTestId('logs-search').fill('^99999[0-9]$');
    await expect
      .poll(() => page.getByTestId('logs-match-count').textContent(), { timeout: 10_000 })
      .toBe('0/10 matches');
    await page.getByTestId('logs-next').click();
    await page.getByTestId('logs-next').click();
    await expect
      .poll(() => page.getByTestId('logs-match-count').textContent())
      .toBe('2/10 matches');
    await expect.poll(() => page.locator('.log-line.current').textContent()).toBe('999991');
    await page.getByTestId('logs-prev').click();
    await expect.poll(() => page.locator('.log-line.current').textContent()).toBe('999990');
    // Filter to matches, then download the filtered view.
    await page.getByTestId('logs-only-matches').check();
    await expect.poll(lineCount).toBe(10);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('logs-download-filtered').click(),
    ]);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text.trim().split('\n')).toEqual(
      Array.from({ length: 10 }, (_, index) => String(999990 + index)),
    );
    // stderr only.
    await page.getByTestId('logs-only-matches').uncheck();
    await page.getByTestId('logs-search').fill('');
    await page.getByTestId('logs-stdout').uncheck();
    await expect.poll(lineCount).toBe(1);
    await expect.poll(() => page.locator('.log-line').first().textContent()).toContain('to stderr');
    await page.getByTestId('logs-stdout').check();
    await expect.poll(lineCount).toBeGreaterThanOrEqual(millionLines * 0.99);
  });

  it('draws live stats', async () => {
    await page.getByTestId('tab-stats').click();
    const samples = () => page.getByTestId('stats-panel').getAttribute('data-samples');
    await expect.poll(async () => Number(await samples()), { timeout: 20_000 }).toBeGreaterThan(3);
    const points = await page.locator('[data-testid="chart-cpu"] polyline').getAttribute('points');
    expect(points?.split(' ').length).toBeGreaterThan(3);
    await page.screenshot({ path: `${screenshotDir}/workbench-stats-${kind}-light.png` });
  });

  it('shows inspect and exit forensics', async () => {
    await page.getByTestId('tab-inspect').click();
    await page.getByTestId('inspect-panel').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('risk-latest-tag').count()).toBe(1);
    expect(await page.getByTestId('risk-no-memory-limit').count()).toBe(1);
    await page.screenshot({ path: `${screenshotDir}/workbench-inspect-${kind}-light.png` });
  });

  it('explains why a stopped container exited', async () => {
    await expect
      .poll(async () => (await engine.docker.getContainer('wb-exited').inspect()).State.Running)
      .toBe(false);
    await openContainer(page, 'wb-exited');
    await page.getByTestId('tab-inspect').click();
    const forensics = page.getByTestId('exit-forensics');
    await forensics.waitFor({ timeout: 10_000 });
    expect(await forensics.textContent()).toContain('Exit code 3');
    expect(await forensics.textContent()).toContain('last words');
    await page.getByTestId('tab-terminal').click();
    expect(await page.getByTestId('tab-body-terminal').textContent()).toContain(
      'Start the container',
    );
  });

  it('shows the real capabilities of --cap-drop ALL versus the default', async () => {
    const capabilities = async (name: string) => {
      await openContainer(page, name);
      await page.getByTestId('tab-hood').click();
      await page.getByTestId('isolation-panel').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('capabilities').getAttribute('data-source')).toBe('proc');
      return (await page.getByTestId('capability-list').textContent()) ?? '';
    };
    const dropped = await capabilities('wb-capdrop');
    expect(dropped).toBe('none');
    await page.screenshot({ path: `${screenshotDir}/workbench-hood-capdrop-${kind}-light.png` });
    const defaults = (await capabilities('wb-shell')).split(' ');
    expect(defaults).toEqual(expect.arrayContaining(['CHOWN', 'NET_BIND_SERVICE', 'KILL']));
    expect(defaults).not.toContain('SYS_ADMIN');
    await page.screenshot({ path: `${screenshotDir}/workbench-hood-${kind}-light.png` });
  });

  it('takes dark screenshots of each tab', async () => {
    const dark = await launchChromium({ colorScheme: 'dark' });
    try {
      await dark.page.goto(app.url);
      await dark.page
        .locator('[data-testid="engine-status"][data-state="connected"]')
        .waitFor({ timeout: 15_000 });
      await openContainer(dark.page, 'wb-shell');
      // Each tab is shot once its content is there, not while it still says "Reading…".
      const ready: Record<string, () => Promise<unknown>> = {
        terminal: () => dark.page.locator('.terminal-host .xterm').waitFor({ timeout: 15_000 }),
        logs: () => dark.page.getByTestId('logs-panel').waitFor({ timeout: 15_000 }),
        stats: () =>
          expect
            .poll(
              async () =>
                Number(await dark.page.getByTestId('stats-panel').getAttribute('data-samples')),
              { timeout: 20_000 },
            )
            .toBeGreaterThan(2),
        inspect: () => dark.page.getByTestId('inspect-panel').waitFor({ timeout: 15_000 }),
        hood: () => dark.page.getByTestId('isolation-panel').waitFor({ timeout: 15_000 }),
      };
      for (const [tab, loaded] of Object.entries(ready)) {
        await dark.page.getByTestId(`tab-${tab}`).click();
        await dark.page.getByTestId(`tab-body-${tab}`).waitFor();
        await loaded();
        await dark.page.screenshot({ path: `${screenshotDir}/workbench-${tab}-${kind}-dark.png` });
      }
    } finally {
      await dark.close();
    }
  });
});
