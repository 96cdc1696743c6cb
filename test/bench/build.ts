// Build scenarios: `docker build` with the classic builder (DOCKER_BUILDKIT=0) on both engines,
// a rebuild with a warm cache (nothing changed: every step must come from the cache) and a
// 20-step Dockerfile built without the cache.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchContext, BenchEngine, Scenario } from './harness';
import { imageRef, timedDocker } from './scenarios';

const execFileAsync = promisify(execFile);

// No network for RUN steps on either engine: the scenario measures the builder, not bridges.
const buildArgs = (args: string[]) => ['build', '-q', '--network', 'none', ...args];
const classicBuilder = { DOCKER_BUILDKIT: '0' };

function dockerBuild(engine: BenchEngine, args: string[]): Promise<unknown> {
  return execFileAsync('docker', ['-H', engine.host, ...buildArgs(args)], {
    env: { ...process.env, ...classicBuilder },
    maxBuffer: 1 << 26,
  });
}

const timedBuild = (engine: BenchEngine, args: string[]) =>
  timedDocker(engine, buildArgs(args), classicBuilder);

/** A context whose Dockerfile has `steps` instructions after FROM: ENV, COPY and RUN in turn. */
function writeContext(base: string, steps: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-build-'));
  mkdirSync(join(dir, 'files'));
  const lines = [`FROM ${base}`];
  for (let step = 0; step < steps; step++) {
    switch (step % 4) {
      case 0:
        lines.push(`ENV STEP_${step}=value-${step}`);
        break;
      case 1:
        writeFileSync(join(dir, 'files', `f${step}.txt`), `file ${step}\n`.repeat(1000));
        lines.push(`COPY files/f${step}.txt /data/f${step}.txt`);
        break;
      case 2:
        lines.push(`RUN echo step ${step} > /data/run-${step}.txt`);
        break;
      default:
        lines.push(`LABEL bench.step${step}=yes`);
    }
  }
  writeFileSync(join(dir, 'Dockerfile'), `${lines.join('\n')}\n`);
  return dir;
}

const contexts = new Map<string, string>();
const tagFor = (engine: BenchEngine, what: string) => `berth-bench/build-${what}-${engine.name}`;

async function cleanup(engine: BenchEngine, what: string): Promise<void> {
  await execFileAsync('docker', ['-H', engine.host, 'rmi', '-f', tagFor(engine, what)]).catch(
    () => undefined,
  );
  await execFileAsync('docker', ['-H', engine.host, 'builder', 'prune', '-f'], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  }).catch(() => undefined);
  const dir = contexts.get(`${engine.name}-${what}`);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

async function prepareContext(
  engine: BenchEngine,
  context: BenchContext,
  what: string,
  steps: number,
): Promise<string> {
  await execFileAsync('docker', ['-H', engine.host, 'pull', '-q', imageRef(context.registryHost)]);
  const dir = writeContext(imageRef(context.registryHost), steps);
  contexts.set(`${engine.name}-${what}`, dir);
  return dir;
}

export const buildWarmRebuild: Scenario = {
  name: 'docker build warm-cache rebuild (12 steps)',
  unit: 'ms',
  higherIsBetter: false,
  samples: 5,
  goalRatio: 0.5,
  prepare: async (engine, context) => {
    const dir = await prepareContext(engine, context, 'warm', 12);
    await dockerBuild(engine, ['-t', tagFor(engine, 'warm'), dir]);
  },
  sample: (engine) =>
    timedBuild(engine, ['-t', tagFor(engine, 'warm'), contexts.get(`${engine.name}-warm`)!]),
  cleanup: (engine) => cleanup(engine, 'warm'),
};

export const buildTwentySteps: Scenario = {
  name: 'docker build 20-step Dockerfile (--no-cache)',
  unit: 'ms',
  higherIsBetter: false,
  samples: 3,
  prepare: async (engine, context) => void (await prepareContext(engine, context, 'cold', 20)),
  sample: (engine) =>
    timedBuild(engine, [
      '--no-cache',
      '-t',
      tagFor(engine, 'cold'),
      contexts.get(`${engine.name}-cold`)!,
    ]),
  cleanup: (engine) => cleanup(engine, 'cold'),
};
