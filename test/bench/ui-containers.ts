// UI benchmark (not a test): the Containers page with 1,000 containers (created, not started) in
// Chromium via browser mode. Reports, from the Performance API in the page:
// - first paint of the table after the container list arrives (goal < 200 ms),
// - scrolling the whole list frame by frame: frames over 1.5× the median frame time (goal: none),
// - renderer JS heap after a forced GC (goal < 300 MB).
// Run: npm run build && node --import tsx test/bench/ui-containers.ts
import { startDockerd } from '../fixtures/dockerd';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures } from '../fixtures/registry';
import { startBrowserMode } from '../e2e/helpers/browser-mode';
import { launchChromium } from '../e2e/helpers/chromium';
import Docker from 'dockerode';

const containerCount = Number(process.env.BERTH_BENCH_CONTAINERS ?? 1000);
const createConcurrency = 8;

async function createContainers(docker: Docker, image: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < containerCount) {
      const index = next++;
      await docker.createContainer({
        Image: image,
        name: `bench-${String(index).padStart(4, '0')}`,
        Cmd: ['true'],
        // Every tenth container belongs to a compose project, so grouping is part of the cost.
        Labels: index % 10 === 0 ? { 'com.docker.compose.project': `proj-${index % 7}` } : {},
      });
    }
  };
  await Promise.all(Array.from({ length: createConcurrency }, worker));
}

async function main(): Promise<void> {
  const registry = await startRegistryWithFixtures({ 'bench/busybox:latest': busyboxImage() });
  const dockerd = await startDockerd({ insecureRegistries: [registry.host] });
  const docker = new Docker({ socketPath: dockerd.socket });
  let app: Awaited<ReturnType<typeof startBrowserMode>> | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    const image = `${registry.host}/bench/busybox:latest`;
    const pullStream = await docker.pull(image, {});
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(pullStream, (error: Error | null) =>
        error ? reject(error) : resolve(),
      );
    });
    const started = Date.now();
    await createContainers(docker, image);
    console.log(
      `created ${containerCount} containers in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    app = await startBrowserMode({ engines: [`unix://${dockerd.socket}`] });
    browser = await launchChromium();
    const { page, context } = browser;
    await page.goto(app.url);
    await page.locator('[data-testid="containers-table"]').waitFor({ timeout: 60_000 });
    await page.waitForFunction(
      () => performance.getEntriesByName('berth:containers-painted').length > 0,
    );
    const firstPaint = await page.evaluate(() => {
      const data = performance.getEntriesByName('berth:containers-data')[0]!;
      const painted = performance.getEntriesByName('berth:containers-painted')[0]!;
      return { afterData: painted.startTime - data.startTime, sinceNavigation: painted.startTime };
    });

    const scrolling = await page.evaluate(async () => {
      const scroller = document.querySelector<HTMLElement>('[data-testid="containers-table"]')!;
      const frames: number[] = [];
      let last = performance.now();
      const step = scroller.clientHeight / 2;
      while (scroller.scrollTop + scroller.clientHeight < scroller.scrollHeight - 1) {
        scroller.scrollTop += step;
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const now = performance.now();
        frames.push(now - last);
        last = now;
      }
      const sorted = [...frames].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
      return {
        frames: frames.length,
        medianFrameMs: median,
        worstFrameMs: sorted.at(-1) ?? 0,
        slowFrames: frames.filter((frame) => frame > median * 1.5).length,
        renderedRows: document.querySelectorAll('.virtual-row').length,
      };
    });

    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as {
      usedSize: number;
      totalSize: number;
    };

    const report = {
      containers: containerCount,
      firstPaintAfterDataMs: Number(firstPaint.afterData.toFixed(1)),
      firstPaintGoalMs: 200,
      firstPaintSinceNavigationMs: Number(firstPaint.sinceNavigation.toFixed(1)),
      scroll: {
        ...scrolling,
        medianFrameMs: Number(scrolling.medianFrameMs.toFixed(1)),
        worstFrameMs: Number(scrolling.worstFrameMs.toFixed(1)),
      },
      heapUsedMB: Number((heap.usedSize / 1e6).toFixed(1)),
      heapGoalMB: 300,
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await browser?.close();
    await app?.stop();
    const containers = await docker.listContainers({ all: true });
    for (let index = 0; index < containers.length; index += 50) {
      await Promise.all(
        containers
          .slice(index, index + 50)
          .map((container) => docker.getContainer(container.Id).remove({ force: true })),
      );
    }
    await dockerd.stop();
    await registry.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
