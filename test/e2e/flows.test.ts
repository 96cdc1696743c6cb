// The user flows of issue 7 in Chromium against browser mode and a real engine: pull with
// progress, run, stop/start/delete, volumes and networks, bulk delete; screenshots of every page
// in light and dark.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopInOrder } from './helpers/cleanup';
import type { Page } from 'playwright-core';
import { busyboxImage, layeredImage } from '../fixtures/images';
import {
  freeLoopbackPort,
  startRegistryWithFixtures,
  type TestRegistry,
} from '../fixtures/registry';
import { startBrowserMode, type BrowserMode } from './helpers/browser-mode';
import { launchChromium, type ChromiumSession } from './helpers/chromium';
import { enginesUnderTest, startEngine, type TestEngine } from './helpers/engines';

const screenshotDir = 'test/e2e/screenshots';

async function openPage(
  page: Page,
  name: 'containers' | 'images' | 'volumes' | 'networks' | 'settings',
) {
  await page.getByTestId(`nav-${name}`).click();
  await page.getByTestId(`page-${name}`).waitFor();
}

describe.each(enginesUnderTest())('Berth Desktop flows (%s)', (kind) => {
  let registry: TestRegistry;
  let engine: TestEngine;
  let app: BrowserMode;
  let browser: ChromiumSession;
  let page: Page;
  let busyboxRef: string;
  let layeredRef: string;

  beforeAll(async () => {
    registry = await startRegistryWithFixtures({
      'berth-test/busybox:latest': busyboxImage(),
      'berth-test/layered:latest': layeredImage(),
    });
    busyboxRef = `${registry.host}/berth-test/busybox:latest`;
    layeredRef = `${registry.host}/berth-test/layered:latest`;
    engine = await startEngine(kind, { insecureRegistries: [registry.host] });
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

  it('pulls an image with per-layer progress', async () => {
    await openPage(page, 'images');
    await page.getByTestId('pull-ref').fill(layeredRef);
    await page.getByTestId('pull-submit').click();
    // Three layers, each with its own bar, and the finished status line.
    await expect.poll(() => page.getByTestId('pull-layer').count(), { timeout: 30_000 }).toBe(3);
    await expect
      .poll(() => page.getByTestId('pull-progress').textContent(), { timeout: 30_000 })
      .toContain(`Pulled ${layeredRef}`);
    await page.getByTestId(`image-${layeredRef}`).waitFor({ timeout: 10_000 });
    const inspected = await engine.docker.getImage(layeredRef).inspect();
    expect(await page.getByTestId(`image-${layeredRef}`).textContent()).toContain(
      inspected.Id.slice(7, 19),
    );
  });

  it('runs a container with a published port from the Run dialog, pulling its image first', async () => {
    // A user-defined bridge network: the engine's default bridge is off on this shared host (no
    // iptables), and the published port is bound to 127.0.0.1 only (dockerd's userland proxy).
    await engine.docker.createNetwork({ Name: 'e2e-ports', Driver: 'bridge' });
    const hostPort = await freeLoopbackPort();
    await openPage(page, 'containers');
    await page.getByTestId('open-run-dialog').click();
    await page.getByTestId('run-image').fill(busyboxRef);
    await page.getByTestId('run-name').fill('e2e-web');
    await page.getByTestId('run-ports').fill(`127.0.0.1:${hostPort}:8080`);
    await expect
      .poll(
        () => page.getByTestId('run-network').locator('option', { hasText: 'e2e-ports' }).count(),
        { timeout: 15_000 },
      )
      .toBe(1);
    await page.getByTestId('run-network').selectOption('e2e-ports');
    // sh stays PID 1 and leaves on SIGTERM, so the stop below needs no 10 s timeout and SIGKILL.
    await page
      .getByTestId('run-command')
      .fill(
        'sh -c "trap exit TERM; mkdir -p /www; echo hello-berth > /www/index.html; httpd -f -p 8080 -h /www & wait"',
      );
    await page.getByTestId('run-submit').click();
    const row = page.getByTestId('container-e2e-web');
    await row.waitFor({ timeout: 30_000 });
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 15_000 }).toBe('running');
    const [container] = await engine.docker.listContainers({ filters: { name: ['e2e-web'] } });
    expect(container?.Image).toBe(busyboxRef);
    const url = `http://127.0.0.1:${hostPort}/`;
    await expect
      .poll(
        async () =>
          (
            await fetch(url).then(
              (response) => response.text(),
              () => '',
            )
          ).trim(),
        { timeout: 15_000 },
      )
      .toBe('hello-berth');
    // The port is a link that opens the browser.
    expect(await row.locator('a').first().getAttribute('href')).toBe(url);
    expect(await row.locator('a').first().getAttribute('target')).toBe('_blank');
  });

  it('stops, starts and deletes the container', async () => {
    const row = page.getByTestId('container-e2e-web');
    await page.getByTestId('action-stop-e2e-web').click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('exited');
    expect((await engine.docker.getContainer('e2e-web').inspect()).State.Running).toBe(false);
    await page.getByTestId('action-start-e2e-web').click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    await page.screenshot({ path: `${screenshotDir}/containers-published-port-${kind}.png` });
    await page.getByTestId('action-remove-e2e-web').click();
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(0);
    expect(
      await engine.docker.listContainers({ all: true, filters: { name: ['e2e-web'] } }),
    ).toEqual([]);
    await engine.docker.getNetwork('e2e-ports').remove();
  });

  it('creates a volume and a network, connects and disconnects a container, removes both', async () => {
    await openPage(page, 'volumes');
    await page.getByTestId('volume-name').fill('e2e-data');
    await page.getByTestId('volume-create').click();
    await page.getByTestId('volume-e2e-data').waitFor({ timeout: 15_000 });
    expect((await engine.docker.getVolume('e2e-data').inspect()).Name).toBe('e2e-data');

    await openPage(page, 'networks');
    await page.getByTestId('network-name').fill('e2e-net');
    await page.getByTestId('network-create').click();
    await page.getByTestId('network-e2e-net').waitFor({ timeout: 15_000 });
    expect((await engine.docker.getNetwork('e2e-net').inspect()).Name).toBe('e2e-net');

    // Disconnect and reconnect a container that runs on it.
    const member = await engine.docker.createContainer({
      Image: busyboxRef,
      name: 'e2e-net-member',
      Cmd: ['sleep', '300'],
      HostConfig: { NetworkMode: 'e2e-net' },
    });
    await member.start();
    const networkRow = page.getByTestId('network-e2e-net');
    const attached = networkRow.getByTestId('attached-e2e-net-member');
    await expect.poll(() => attached.count(), { timeout: 15_000 }).toBe(1);
    await page.screenshot({ path: `${screenshotDir}/networks-created-${kind}.png` });
    await attached.getByRole('button', { name: 'Disconnect' }).click();
    await expect.poll(() => attached.count(), { timeout: 15_000 }).toBe(0);
    expect(Object.keys((await member.inspect()).NetworkSettings.Networks)).not.toContain('e2e-net');
    await networkRow.getByRole('combobox').selectOption({ label: 'e2e-net-member' });
    await networkRow.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect.poll(() => attached.count(), { timeout: 15_000 }).toBe(1);
    expect(Object.keys((await member.inspect()).NetworkSettings.Networks)).toContain('e2e-net');
    await member.remove({ force: true });
    await expect.poll(() => attached.count(), { timeout: 15_000 }).toBe(0);

    // And remove both again (a bridge network is a real interface on the host).
    await page.getByTestId('remove-network-e2e-net').click();
    await expect
      .poll(() => page.getByTestId('network-e2e-net').count(), { timeout: 15_000 })
      .toBe(0);
    await expect(engine.docker.getNetwork('e2e-net').inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
    await openPage(page, 'volumes');
    await page.getByTestId('remove-volume-e2e-data').click();
    await expect
      .poll(() => page.getByTestId('volume-e2e-data').count(), { timeout: 15_000 })
      .toBe(0);
    await expect(engine.docker.getVolume('e2e-data').inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('deletes several containers in bulk, reporting each one', async () => {
    const names = ['e2e-bulk-1', 'e2e-bulk-2', 'e2e-bulk-3'];
    for (const name of names) {
      await engine.docker.createContainer({
        Image: busyboxRef,
        name,
        Cmd: ['true'],
        Labels: { 'com.docker.compose.project': 'e2e-bulk' },
      });
    }
    await openPage(page, 'containers');
    // Created outside the app: the engine's events bring them in.
    await page.getByTestId('group-e2e-bulk').waitFor({ timeout: 15_000 });
    for (const name of names) await page.getByTestId(`container-${name}`).waitFor();
    await page.getByTestId('group-e2e-bulk').getByRole('checkbox').check();
    await page.getByTestId('bulk-bar').waitFor();
    expect(await page.getByTestId('bulk-bar').textContent()).toContain('3 selected');
    await page.getByTestId('bulk-remove').click();
    await expect.poll(() => page.getByTestId('bulk-item-ok').count(), { timeout: 30_000 }).toBe(3);
    await expect
      .poll(() => page.getByTestId('group-e2e-bulk').count(), { timeout: 15_000 })
      .toBe(0);
    expect(
      await engine.docker.listContainers({
        all: true,
        filters: { label: ['com.docker.compose.project=e2e-bulk'] },
      }),
    ).toEqual([]);
  });

  it('explains why an image in use cannot be removed', async () => {
    await engine.docker.createContainer({
      Image: busyboxRef,
      name: 'e2e-holds-image',
      Cmd: ['true'],
    });
    await openPage(page, 'images');
    await page.getByTestId(`remove-image-${busyboxRef}`).click();
    const explanation = page.getByTestId('image-remove-error');
    await explanation.waitFor({ timeout: 15_000 });
    expect(await explanation.textContent()).toContain('The image is in use');
    expect((await engine.docker.getImage(busyboxRef).inspect()).RepoTags).toContain(busyboxRef);
    await engine.docker.getContainer('e2e-holds-image').remove();
  });

  it('browses a volume read-only', async () => {
    await engine.docker.createVolume({ Name: 'e2e-browse' });
    const writer = await engine.docker.createContainer({
      Image: busyboxRef,
      Cmd: [
        'sh',
        '-c',
        'mkdir -p /v/docs && echo hello > /v/hello.txt && echo nested > /v/docs/readme.md',
      ],
      HostConfig: { Binds: ['e2e-browse:/v'], NetworkMode: 'none' },
    });
    await writer.start();
    await writer.wait();
    await writer.remove();
    await openPage(page, 'volumes');
    await page.getByTestId('volume-e2e-browse').getByRole('button', { name: 'Browse' }).click();
    const entries = page.getByTestId('volume-entries');
    await entries.waitFor({ timeout: 15_000 });
    expect(await entries.textContent()).toContain('hello.txt');
    await entries.getByRole('button', { name: 'docs/' }).click();
    await expect
      .poll(() => page.getByTestId('volume-entries').textContent(), { timeout: 15_000 })
      .toContain('readme.md');
    await page.screenshot({ path: `${screenshotDir}/volume-browse-${kind}.png` });
    await page.keyboard.press('Escape');
    // The helper container is gone again.
    expect(
      await engine.docker.listContainers({
        all: true,
        filters: { label: ['org.berth.volume-browser'] },
      }),
    ).toEqual([]);
  });

  it('goes to a page from the command palette (Ctrl+K)', async () => {
    await openPage(page, 'containers');
    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog', { name: 'Command palette' });
    await palette.getByRole('textbox', { name: 'Command' }).fill('networks');
    await page.keyboard.press('Enter');
    await page.getByTestId('page-networks').waitFor();
    expect(await palette.count()).toBe(0);
  });

  it('keeps screenshots of every page in light and dark', async () => {
    // Something to look at on the Containers page.
    await engine.docker.createContainer({
      Image: busyboxRef,
      name: 'e2e-shot-idle',
      Cmd: ['true'],
      Labels: { 'com.docker.compose.project': 'demo', 'com.docker.compose.service': 'worker' },
    });
    const running = await engine.docker.createContainer({
      Image: busyboxRef,
      name: 'e2e-shot-running',
      Cmd: ['sleep', '300'],
    });
    await running.start();
    for (const theme of ['light', 'dark'] as const) {
      await openPage(page, 'settings');
      await page.getByTestId(`theme-${theme}`).check();
      await expect
        .poll(() => page.evaluate(() => document.documentElement.dataset.theme))
        .toBe(theme);
      await page.screenshot({ path: `${screenshotDir}/settings-${kind}-${theme}.png` });
      for (const name of ['containers', 'images', 'volumes', 'networks'] as const) {
        await openPage(page, name);
        if (name === 'containers')
          await page.getByTestId('container-e2e-shot-running').waitFor({ timeout: 15_000 });
        await page.screenshot({ path: `${screenshotDir}/${name}-${kind}-${theme}.png` });
      }
      await openPage(page, 'containers');
      await page.getByTestId('open-run-dialog').click();
      await page.screenshot({ path: `${screenshotDir}/run-dialog-${kind}-${theme}.png` });
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+k');
      await page.getByRole('dialog', { name: 'Command palette' }).waitFor();
      await page.screenshot({ path: `${screenshotDir}/command-palette-${kind}-${theme}.png` });
      await page.keyboard.press('Escape');
    }
  });
});
