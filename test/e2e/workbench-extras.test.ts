// The container workbench, second round (issue 8) in Chromium against browser mode and a real
// engine: terminal search and clickable links, CPU/memory sparklines in the list, merged logs of a
// compose project with structured-line levels, the file browser (list, download, upload with
// confirmation), exit / restart-loop / unhealthy notifications with "Open logs", and the logs
// viewer's flow control: frame pacing and heap with a container printing flat out, and scrolling
// through a million lines.
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBrowserMode, type BrowserMode } from './helpers/browser-mode';
import { launchChromium, type ChromiumSession } from './helpers/chromium';
import { stopInOrder } from './helpers/cleanup';
import { enginesUnderTest, startEngine, type TestEngine } from './helpers/engines';

const screenshotDir = 'test/e2e/screenshots';
const millionLines = 1_000_000;
const project = 'shop';
/** Small json-file logs for the flat-out container: it must not fill the disk. */
const boundedLogs = { Type: 'json-file', Config: { 'max-size': '20m', 'max-file': '2' } };

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
  extra: {
    hostConfig?: Docker.HostConfig;
    labels?: Record<string, string>;
  } & Partial<Docker.ContainerCreateOptions> = {},
): Promise<Docker.Container> {
  const { hostConfig, labels, ...rest } = extra;
  const container = await docker.createContainer({
    Image: image,
    name,
    Cmd: command,
    Labels: labels ?? {},
    HostConfig: { NetworkMode: 'none', ...hostConfig },
    ...rest,
  });
  await container.start();
  return container;
}

/** Text of the newest xterm's buffer (tests read it through window.berthTerminals). */
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

function terminalSelection(page: Page): Promise<string> {
  return page.evaluate(() => {
    const terminals = (
      window as unknown as { berthTerminals?: Map<string, { getSelection(): string }> }
    ).berthTerminals;
    return [...(terminals?.values() ?? [])].at(-1)?.getSelection() ?? '';
  });
}

async function typeInTerminal(page: Page, text: string): Promise<void> {
  await page.locator('.terminal-host .xterm').last().click();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

async function showContainers(page: Page): Promise<void> {
  await page.getByTestId('nav-containers').click();
  for (const back of ['details-back', 'project-logs-back']) {
    if (await page.getByTestId(back).isVisible()) await page.getByTestId(back).click();
  }
}

async function openContainer(page: Page, name: string): Promise<void> {
  await showContainers(page);
  await page.getByTestId(`open-${name}`).click();
  await page.getByTestId('container-details').waitFor();
}

/** Starts counting animation frames: the longest gap between two is what a user feels. */
function startFrameProbe(page: Page): Promise<void> {
  return page.evaluate(() => {
    const probe = { frames: 0, maxGap: 0, gaps: [] as number[], last: 0, stop: false };
    (window as unknown as { frameProbe: typeof probe }).frameProbe = probe;
    const tick = (now: number) => {
      if (probe.last) {
        const gap = now - probe.last;
        probe.gaps.push(gap);
        probe.maxGap = Math.max(probe.maxGap, gap);
      }
      probe.frames++;
      probe.last = now;
      if (!probe.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

function stopFrameProbe(page: Page): Promise<{ frames: number; maxGap: number; p95: number }> {
  return page.evaluate(() => {
    const probe = (
      window as unknown as {
        frameProbe: { frames: number; maxGap: number; gaps: number[]; stop: boolean };
      }
    ).frameProbe;
    probe.stop = true;
    const sorted = [...probe.gaps].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
    return { frames: probe.frames, maxGap: probe.maxGap, p95 };
  });
}

async function rendererHeapMiB(browser: ChromiumSession, page: Page): Promise<number> {
  const cdp = await browser.context.newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    return (metrics.find((metric) => metric.name === 'JSHeapUsedSize')?.value ?? 0) / 1024 / 1024;
  } finally {
    await cdp.detach();
  }
}

/** The renderer's main-thread time so far (CDP Performance metrics, seconds), on one session. */
async function rendererTimes(
  cdp: CDPSession,
): Promise<{ task: number; script: number; layout: number; style: number }> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const value = (name: string) => metrics.find((metric) => metric.name === name)?.value ?? 0;
  return {
    task: value('TaskDuration'),
    script: value('ScriptDuration'),
    layout: value('LayoutDuration'),
    style: value('RecalcStyleDuration'),
  };
}

function busyShare(
  before: Awaited<ReturnType<typeof rendererTimes>>,
  after: Awaited<ReturnType<typeof rendererTimes>>,
  seconds: number,
): string {
  const share = (key: keyof typeof before) =>
    `${(((after[key] - before[key]) / seconds) * 100).toFixed(0)}%`;
  return `renderer main thread busy ${share('task')} (script ${share('script')}, layout ${share('layout')}, style ${share('style')})`;
}

describe.each(enginesUnderTest())('Container workbench extras (%s)', (kind) => {
  let registry: TestRegistry;
  let engine: TestEngine;
  let app: BrowserMode;
  let browser: ChromiumSession;
  let page: Page;
  let image: string;

  beforeAll(async () => {
    registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
    image = `${registry.host}/berth-test/busybox:latest`;
    engine = await startEngine(kind, { insecureRegistries: [registry.host] });
    await pull(engine.docker, image);
    await runContainer(engine.docker, image, 'wx-shell', ['sleep', '3600']);
    const compose = (service: string) => ({
      labels: {
        'com.docker.compose.project': project,
        'com.docker.compose.service': service,
      },
    });
    await runContainer(
      engine.docker,
      image,
      `${project}-api-1`,
      [
        'sh',
        '-c',
        `echo '{"level":"info","msg":"api up"}'; sleep 3; echo '{"level":"error","msg":"api failed"}'; sleep 3600`,
      ],
      compose('api'),
    );
    await runContainer(
      engine.docker,
      image,
      `${project}-db-1`,
      [
        'sh',
        '-c',
        `sleep 1.5; echo 'level=warn msg="db slow"'; sleep 3; echo 'level=debug msg=tick'; sleep 3600`,
      ],
      compose('db'),
    );
    app = await startBrowserMode({ engines: [engine.endpoint] });
    browser = await launchChromium();
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
      () => engine?.stop(),
      () => registry?.stop(),
    );
  });

  it('draws CPU and memory sparklines in the containers list from the polled snapshots', async () => {
    await showContainers(page);
    const points = (metric: string) =>
      page.getByTestId(`spark-${metric}-wx-shell`).getAttribute('data-points');
    await expect
      .poll(async () => Number(await points('cpu')), { timeout: 20_000 })
      .toBeGreaterThan(2);
    expect(Number(await points('mem'))).toBeGreaterThan(2);
    const line = await page
      .getByTestId('spark-mem-wx-shell')
      .locator('polyline')
      .getAttribute('points');
    expect(line?.split(' ').length).toBeGreaterThan(2);
    await page.screenshot({ path: `${screenshotDir}/workbench-sparklines-${kind}-light.png` });
  });

  it('finds text in the terminal with the search addon (regex, next, count)', async () => {
    await openContainer(page, 'wx-shell');
    await page.getByTestId('tab-terminal').click();
    await page.locator('.terminal-host .xterm').waitFor({ timeout: 15_000 });
    await expect.poll(() => terminalText(page), { timeout: 15_000 }).toMatch(/[#$] ?$/m);
    await typeInTerminal(page, 'for i in 1 2; do echo "hit-$((i*7))"; done');
    await expect.poll(() => terminalText(page), { timeout: 10_000 }).toContain('hit-14');
    await page.keyboard.press('Control+Shift+F');
    await page.getByTestId('terminal-search').waitFor();
    await page.getByTestId('terminal-search-regex').check();
    await page.getByTestId('terminal-search-input').fill('hit-\\d+');
    await expect
      .poll(() => page.getByTestId('terminal-search-count').textContent(), { timeout: 5_000 })
      .toMatch(/^\d\/2$/);
    const first = await terminalSelection(page);
    expect(['hit-7', 'hit-14']).toContain(first);
    await page.getByTestId('terminal-search-next').click();
    await expect.poll(() => terminalSelection(page)).not.toBe(first);
    expect(['hit-7', 'hit-14']).toContain(await terminalSelection(page));
    await page.getByTestId('terminal-search-input').fill('no-such-text');
    await expect
      .poll(() => page.getByTestId('terminal-search-count').textContent())
      .toBe('no matches');
    await page.getByTestId('terminal-search-input').fill('hit-\\d+');
    await page.screenshot({ path: `${screenshotDir}/workbench-terminal-search-${kind}-light.png` });
    await page.getByTestId('terminal-search-input').press('Escape');
    await page.getByTestId('terminal-search').waitFor({ state: 'detached' });
  });

  it('opens a URL printed in the terminal through the external-link path', async () => {
    await page.evaluate(() => {
      const holder = window as unknown as { openedLinks: string[] };
      holder.openedLinks = [];
      window.open = ((url: string) => {
        holder.openedLinks.push(String(url));
        return null;
      }) as typeof window.open;
    });
    await typeInTerminal(page, 'clear; echo https://example.org/docs/$((6*7))');
    await expect
      .poll(() => terminalText(page), { timeout: 10_000 })
      .toMatch(/^https:\/\/example\.org\/docs\/42$/m);
    const row = page
      .locator('.terminal-host .xterm-rows > div')
      .filter({ hasText: /^https:\/\/example\.org\/docs\/42\s*$/ })
      .first();
    const box = (await row.boundingBox())!;
    await page.mouse.move(box.x + 40, box.y + box.height / 2);
    await page.mouse.move(box.x + 60, box.y + box.height / 2);
    await expect
      .poll(() => page.locator('.xterm-screen').evaluate((el) => getComputedStyle(el).cursor), {
        timeout: 5_000,
      })
      .toBe('pointer');
    await page.mouse.click(box.x + 60, box.y + box.height / 2);
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { openedLinks: string[] }).openedLinks))
      .toEqual(['https://example.org/docs/42']);
  });

  it('browses the container filesystem, downloads a file and uploads one after confirming', async () => {
    await page.getByTestId('tab-files').click();
    await page.getByTestId('files-table').waitFor({ timeout: 15_000 });
    await page.getByTestId('file-entry-etc').waitFor();
    await page.getByTestId('file-entry-etc').getByRole('button').click();
    await expect.poll(() => page.getByTestId('files-table').getAttribute('data-path')).toBe('/etc');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('file-download-passwd').click(),
    ]);
    expect(download.suggestedFilename()).toBe('passwd');
    expect(readFileSync((await download.path())!, 'utf8')).toContain(
      'root:x:0:0:root:/root:/bin/sh',
    );
    await page.screenshot({ path: `${screenshotDir}/workbench-files-${kind}-light.png` });

    await page.getByTestId('files-path').fill('/tmp');
    await page.getByTestId('files-path').press('Enter');
    await expect.poll(() => page.getByTestId('files-table').getAttribute('data-path')).toBe('/tmp');
    await page.getByTestId('files-upload-input').setInputFiles({
      name: 'hello.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('uploaded from berth\n'),
    });
    // Nothing is written before the user confirms.
    await page.getByTestId('files-upload-confirm').waitFor();
    expect(await page.getByTestId('files-upload-summary').textContent()).toContain(
      'hello.txt (20 B) to /tmp in wx-shell',
    );
    await page.screenshot({ path: `${screenshotDir}/workbench-files-upload-${kind}-light.png` });
    expect(await page.getByTestId('file-entry-hello.txt').count()).toBe(0);
    await page.getByTestId('files-upload-confirm').click();
    await page.getByTestId('file-entry-hello.txt').waitFor({ timeout: 10_000 });
    const exec = await engine.docker
      .getContainer('wx-shell')
      .exec({ Cmd: ['cat', '/tmp/hello.txt'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    const output = await new Promise<string>((resolve) => {
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      stream.on('end', () => resolve(text));
    });
    expect(output).toContain('uploaded from berth');
  });

  it('merges the logs of a compose project, tags each line, and filters structured levels', async () => {
    await showContainers(page);
    await page.getByTestId(`project-logs-${project}`).click();
    await page.getByTestId('project-logs').waitFor();
    const count = async () =>
      Number(await page.getByTestId('logs-line-count').getAttribute('data-count'));
    await expect.poll(count, { timeout: 15_000 }).toBe(4);
    await page.getByTestId('logs-timestamps').check();
    const rows = await page.locator('.log-line').evaluateAll((lines) =>
      lines.map((line) => ({
        time: line.querySelector('.log-time')?.textContent ?? '',
        tagged: `${line.querySelector('.log-source')?.textContent ?? ''}|${line.querySelector('.log-text')?.textContent ?? ''}`,
      })),
    );
    await page.getByTestId('logs-timestamps').uncheck();
    expect(rows.map((row) => row.tagged).sort()).toEqual(
      [
        `${project}-api-1|{"level":"error","msg":"api failed"}`,
        `${project}-api-1|{"level":"info","msg":"api up"}`,
        `${project}-db-1|level=debug msg=tick`,
        `${project}-db-1|level=warn msg="db slow"`,
      ].sort(),
    );
    // Ordered by the engine's timestamps across containers, not by arrival.
    const times = rows.map((row) => row.time);
    expect(times.every((time) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/.test(time))).toBe(true);
    expect(times).toEqual([...times].sort());
    expect(await page.locator('.log-line.level-error').count()).toBe(1);
    expect(await page.locator('.log-line.level-warn').count()).toBe(1);
    await page.screenshot({ path: `${screenshotDir}/workbench-project-logs-${kind}-light.png` });
    await page.getByTestId('logs-level').selectOption('warn');
    await expect.poll(count).toBe(2);
    await page.getByTestId('logs-level').selectOption('all');
    await expect.poll(count).toBe(4);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('logs-download').click(),
    ]);
    expect(readFileSync((await download.path())!, 'utf8')).toContain(
      `${project}-db-1 | level=warn msg="db slow"`,
    );
    // A container of the project that starts while the view is open (a scaled service) joins it.
    await runContainer(
      engine.docker,
      image,
      `${project}-worker-1`,
      ['sh', '-c', 'echo late-joiner; sleep 3600'],
      { labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': 'worker' } },
    );
    await expect.poll(count, { timeout: 15_000 }).toBe(5);
    const sources = await page.locator('.log-line .log-source').allTextContents();
    expect(sources).toContain(`${project}-worker-1`);
  });

  it('notifies about an unexpected exit, with "Open logs", but not about a user stop', async () => {
    await showContainers(page);
    const stoppable = await runContainer(engine.docker, image, 'wx-stoppable', ['sleep', '3600']);
    await runContainer(engine.docker, image, 'wx-crash', [
      'sh',
      '-c',
      'sleep 1; echo "crashing now"; exit 7',
    ]);
    await stoppable.stop({ t: 1 });
    const notice = page.getByTestId('notice-error').filter({ hasText: 'wx-crash' });
    await notice.waitFor({ timeout: 15_000 });
    expect(await notice.textContent()).toContain('wx-crash exited unexpectedly: exit code 7');
    expect(await page.getByTestId('notice-error').filter({ hasText: 'wx-stoppable' }).count()).toBe(
      0,
    );
    await page.screenshot({ path: `${screenshotDir}/workbench-exit-notice-${kind}-light.png` });
    await notice.getByTestId('notice-action').click();
    await page.getByTestId('tab-body-logs').waitFor();
    expect(await page.locator('.details h1').textContent()).toBe('wx-crash');
    await expect
      .poll(() => page.locator('.log-line').last().textContent(), { timeout: 10_000 })
      .toContain('crashing now');
  });

  it('notifies about a restart loop and an unhealthy container', async () => {
    await showContainers(page);
    await runContainer(engine.docker, image, 'wx-loop', ['sh', '-c', 'exit 1'], {
      hostConfig: { RestartPolicy: { Name: 'always' } },
    });
    await runContainer(engine.docker, image, 'wx-sick', ['sleep', '3600'], {
      Healthcheck: { Test: ['CMD', 'false'], Interval: 500_000_000, Retries: 1 },
    });
    await page
      .getByTestId('notice-error')
      .filter({ hasText: 'wx-loop is in a restart loop' })
      .waitFor({ timeout: 30_000 });
    await page
      .getByTestId('notice-error')
      .filter({ hasText: 'wx-sick is unhealthy' })
      .waitFor({ timeout: 30_000 });
    await engine.docker.getContainer('wx-loop').remove({ force: true });
  });

  /** Toggles the timestamps checkbox a few times: how long until each click shows. */
  async function inputRoundTrips(rounds: number): Promise<number[]> {
    const times: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const wanted = !(await page.getByTestId('logs-timestamps').isChecked());
      const clicked = Date.now();
      await page.getByTestId('logs-timestamps').click();
      await expect.poll(() => page.getByTestId('logs-timestamps').isChecked()).toBe(wanted);
      times.push(Date.now() - clicked);
      await page.waitForTimeout(700);
    }
    return times;
  }

  it('stays responsive while a container prints as fast as it can', async () => {
    // Baseline on this (shared, possibly busy) machine: an idle logs view.
    await openContainer(page, 'wx-shell');
    await page.getByTestId('tab-logs').click();
    await startFrameProbe(page);
    const idleClicks = await inputRoundTrips(4);
    const idle = await stopFrameProbe(page);
    await runContainer(
      engine.docker,
      image,
      'wx-flood',
      ['sh', '-c', 'yes "flood: the quick brown fox jumps over the lazy dog, again and again"'],
      { hostConfig: { LogConfig: boundedLogs } },
    );
    try {
      // Control: the flood is running but nobody follows its log (the machine's own load).
      await page.waitForTimeout(2000);
      await startFrameProbe(page);
      const controlCdp = await browser.context.newCDPSession(page);
      await controlCdp.send('Performance.enable');
      const controlBefore = await rendererTimes(controlCdp);
      const controlStarted = Date.now();
      const controlClicks = await inputRoundTrips(4);
      const controlBusy = busyShare(
        controlBefore,
        await rendererTimes(controlCdp),
        (Date.now() - controlStarted) / 1000,
      );
      await controlCdp.detach();
      const control = await stopFrameProbe(page);
      console.log(
        `[workbench-extras ${kind}] flood running, its log not followed: p95 frame gap ${control.p95.toFixed(0)} ms, longest ${control.maxGap.toFixed(0)} ms, input round-trips ${controlClicks.join('/')} ms; ${controlBusy}`,
      );
      await openContainer(page, 'wx-flood');
      await page.getByTestId('tab-logs').click();
      await page.getByTestId('logs-tail').selectOption('1000');
      const received = async () =>
        Number(await page.getByTestId('logs-line-count').getAttribute('data-received'));
      await expect.poll(received, { timeout: 30_000 }).toBeGreaterThan(5_000);
      await startFrameProbe(page);
      const before = await received();
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const timesBefore = await rendererTimes(cdp);
      const started = Date.now();
      // The UI answers input while lines pour in: each toggle takes effect.
      const floodClicks = await inputRoundTrips(4);
      const seconds = (Date.now() - started) / 1000;
      const busy = busyShare(timesBefore, await rendererTimes(cdp), seconds);
      await cdp.detach();
      const flood = await stopFrameProbe(page);
      const rate = ((await received()) - before) / seconds;
      const heap = await rendererHeapMiB(browser, page);
      console.log(
        `[workbench-extras ${kind}] idle logs view: p95 frame gap ${idle.p95.toFixed(0)} ms, longest ${idle.maxGap.toFixed(0)} ms, input round-trips ${idleClicks.join('/')} ms`,
      );
      console.log(
        `[workbench-extras ${kind}] flat-out container: ${Math.round(rate).toLocaleString('en')} lines/s received over ${seconds.toFixed(1)} s; ${flood.frames} frames, p95 frame gap ${flood.p95.toFixed(0)} ms, longest ${flood.maxGap.toFixed(0)} ms; input round-trips ${floodClicks.join('/')} ms; ${busy}; renderer JS heap ${heap.toFixed(0)} MiB`,
      );
      expect(rate).toBeGreaterThan(0);
      expect(flood.frames).toBeGreaterThan(10);
      await page.screenshot({ path: `${screenshotDir}/workbench-logs-flood-${kind}-light.png` });
    } finally {
      await engine.docker.getContainer('wx-flood').remove({ force: true });
    }
  });

  it(`scrolls through ${millionLines.toLocaleString('en')} lines and reports heap and frame times`, async () => {
    await runContainer(engine.docker, image, 'wx-million', [
      'sh',
      '-c',
      `seq 1 ${millionLines}; sleep 3600`,
    ]);
    await openContainer(page, 'wx-million');
    await page.getByTestId('tab-logs').click();
    await page.getByTestId('logs-tail').selectOption('all');
    const count = async () =>
      Number(await page.getByTestId('logs-line-count').getAttribute('data-count'));
    const started = Date.now();
    await startFrameProbe(page);
    await expect.poll(count, { timeout: 240_000, interval: 250 }).toBe(millionLines);
    const loadSeconds = (Date.now() - started) / 1000;
    const loading = await stopFrameProbe(page);
    const heapLoaded = await rendererHeapMiB(browser, page);
    // Scroll up through the buffer in big wheel steps, then drag the scrollbar to the top.
    const scroller = page.getByTestId('logs-scroller');
    await scroller.hover();
    await startFrameProbe(page);
    for (let step = 0; step < 60; step++) {
      await page.mouse.wheel(0, -4000);
      await page.waitForTimeout(16);
    }
    await scroller.evaluate((element) => (element.scrollTop = element.scrollHeight / 2));
    await page.waitForTimeout(100);
    await scroller.evaluate((element) => (element.scrollTop = 0));
    await expect.poll(() => page.locator('.log-line').first().textContent()).toBe('1');
    for (let step = 0; step < 60; step++) {
      await page.mouse.wheel(0, 4000);
      await page.waitForTimeout(16);
    }
    const scrolling = await stopFrameProbe(page);
    const middle = await page.locator('.log-line').first().textContent();
    expect(Number(middle)).toBeGreaterThan(1);
    const heapScrolled = await rendererHeapMiB(browser, page);
    console.log(
      `[workbench-extras ${kind}] ${millionLines} lines loaded in ${loadSeconds.toFixed(1)} s (p95 frame gap ${loading.p95.toFixed(0)} ms, longest ${loading.maxGap.toFixed(0)} ms); renderer JS heap ${heapLoaded.toFixed(0)} MiB loaded, ${heapScrolled.toFixed(0)} MiB after scrolling; scrolling: ${scrolling.frames} frames, p95 frame gap ${scrolling.p95.toFixed(0)} ms, longest ${scrolling.maxGap.toFixed(0)} ms`,
    );
    expect(heapLoaded).toBeGreaterThan(0);
    await page.screenshot({ path: `${screenshotDir}/workbench-logs-million-${kind}-light.png` });
  }, 300_000);

  it('takes dark screenshots of the new views', async () => {
    const dark = await launchChromium({ colorScheme: 'dark' });
    try {
      await dark.page.goto(app.url);
      await dark.page.getByTestId(`project-logs-${project}`).click();
      await dark.page.locator('.log-source').first().waitFor({ timeout: 15_000 });
      await dark.page.screenshot({
        path: `${screenshotDir}/workbench-project-logs-${kind}-dark.png`,
      });
      await dark.page.getByTestId('project-logs-back').click();
      await dark.page.getByTestId('spark-cpu-wx-shell').waitFor({ timeout: 15_000 });
      await dark.page.waitForTimeout(3500);
      await dark.page.screenshot({
        path: `${screenshotDir}/workbench-sparklines-${kind}-dark.png`,
      });
      await dark.page.getByTestId('open-wx-shell').click();
      await dark.page.getByTestId('tab-files').click();
      await dark.page.getByTestId('files-table').waitFor({ timeout: 15_000 });
      await dark.page.screenshot({ path: `${screenshotDir}/workbench-files-${kind}-dark.png` });
    } finally {
      await dark.close();
    }
  });
});
