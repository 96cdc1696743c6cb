// docker-compose (v1, Debian package) against berthd: three services on the project network that
// reach each other by service name, a named volume and a published port; up, ps, port, down -v.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage } from '../fixtures/images';
import { startRegistryWithFixtures, type TestRegistry } from '../fixtures/registry';
import { startBerthd, type RunningBerthd } from './helpers/berthd';
import { DockerCli } from './helpers/docker-cli';
import { uniqueTag } from './helpers/netns';

const project = `bc${uniqueTag()}`;
let registry: TestRegistry;
let berthd: RunningBerthd;
let cli: DockerCli;
let dir: string;

function compose(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'docker-compose',
      ['-p', project, '-f', join(dir, 'docker-compose.yml'), ...args],
      {
        env: {
          ...process.env,
          DOCKER_HOST: `unix://${berthd.socket}`,
          DOCKER_CONFIG: cli.configDir,
        },
        timeout: 120_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A container's output from conmon's k8s-file log, by compose container name. */
async function logOf(name: string): Promise<string> {
  const [container] = JSON.parse(await cli.ok(['inspect', name])) as { Id: string }[];
  const path = join(berthd.dataRoot, 'containers', container?.Id ?? '', 'container.log');
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.split(' ').slice(3).join(' '))
    .join('\n');
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  registry = await startRegistryWithFixtures({ 'berth-test/busybox:latest': busyboxImage() });
  berthd = await startBerthd();
  cli = new DockerCli(berthd.socket);
  const image = `${registry.host}/berth-test/busybox:latest`;
  await cli.ok(['pull', image]);
  dir = await mkdtemp(join(tmpdir(), 'berth-compose-'));
  await writeFile(
    join(dir, 'docker-compose.yml'),
    [
      "version: '3.8'",
      'services:',
      '  web:',
      `    image: ${image}`,
      '    command: ["sh", "-c", "echo hello-from-web > /site/index.html && exec httpd -f -p 8080 -h /site"]',
      '    ports: ["127.0.0.1::8080"]',
      '    volumes: ["site:/site"]',
      '  db:',
      `    image: ${image}`,
      '    command: ["sleep", "600"]',
      '  client:',
      `    image: ${image}`,
      '    command: ["sh", "-c", "until wget -qO- http://web:8080/index.html; do sleep 1; done; nslookup db; sleep 600"]',
      'volumes:',
      '  site: {}',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  if (berthd) await compose(['down', '-v', '-t', '1']);
  await berthd?.stop();
  cli?.dispose();
  await registry?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('docker-compose v1 on berthd', () => {
  it('brings a three-service project up, on one network, by service name', async () => {
    const up = await compose(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const ps = await compose(['ps']);
    expect(ps.stdout).toContain(`${project}_web_1`);
    expect(ps.stdout).toContain(`${project}_db_1`);
    expect(ps.stdout).toContain(`${project}_client_1`);
    expect(ps.stdout).toMatch(/Up/);
    await eventually(
      async () => (await logOf(`${project}_client_1`)).includes('hello-from-web'),
      'client to fetch from web',
    );
    const logs = await logOf(`${project}_client_1`);
    const [db] = JSON.parse(await cli.ok(['inspect', `${project}_db_1`])) as {
      NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
    }[];
    expect(logs).toContain(db?.NetworkSettings.Networks[`${project}_default`]?.IPAddress);
  });

  it('publishes the web port on 127.0.0.1 and keeps its content in the named volume', async () => {
    const port = (await compose(['port', 'web', '8080'])).stdout.trim();
    expect(port).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`http://${port}/index.html`)).text()).toBe('hello-from-web\n');
    expect((await cli.ok(['volume', 'ls', '-q'])).split('\n')).toContain(`${project}_site`);
  });

  it('down -v removes containers, the network and the volume', async () => {
    const down = await compose(['down', '-v', '-t', '1']);
    expect(down.code, down.stderr).toBe(0);
    expect((await cli.ok(['ps', '-aq'])).trim()).toBe('');
    expect(await cli.ok(['network', 'ls', '--format', '{{.Name}}'])).not.toContain(project);
    expect(await cli.ok(['volume', 'ls', '-q'])).not.toContain(project);
  });
});
