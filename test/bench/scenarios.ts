// The benchmark scenarios, each driving an engine the way a user does: through the docker CLI,
// or through the Engine API where the CLI's own start-up would hide what is measured.
import { execFile, spawn } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import type { BenchContext, BenchEngine, Scenario } from './harness';

const execFileAsync = promisify(execFile);

export const BENCH_IMAGE_REPOSITORY = 'berth-bench/busybox';
export const PAYLOAD_IMAGE_REPOSITORY = 'berth-bench/payload';

export function imageRef(registryHost: string, repository = BENCH_IMAGE_REPOSITORY): string {
  return `${registryHost}/${repository}:latest`;
}

export async function docker(engine: BenchEngine, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', ['-H', engine.host, ...args], {
    maxBuffer: 1 << 28,
  });
  return stdout;
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * One docker CLI call, timed by a small shell around it: what a user at a prompt waits. Timed
 * from this process, every sample would also carry the fork of a Node process that holds the
 * bench's images (about 10 ms here), the same on both engines, which pulls every ratio to 1.
 */
export async function timedDocker(
  engine: BenchEngine,
  args: string[],
  env: Record<string, string> = {},
): Promise<number> {
  const script = 'start=$EPOCHREALTIME; "$@" >/dev/null || exit; echo "$start $EPOCHREALTIME"';
  const { stdout } = await execFileAsync(
    'bash',
    ['-c', script, 'bash', 'docker', '-H', engine.host, ...args],
    { env: { ...process.env, ...env, LC_ALL: 'C' } },
  );
  const [start = NaN, end = NaN] = stdout.trim().split(' ').map(Number);
  if (!(end >= start)) throw new Error(`unreadable timing from the shell: ${stdout}`);
  return (end - start) * 1000;
}

/** GET on the engine's socket, draining the body; returns the status and byte count. */
export function apiGet(
  engine: BenchEngine,
  path: string,
): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: engine.socket, path, method: 'GET' }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const runName = (engine: BenchEngine, what: string) => `bench-${what}-${engine.name}`;

/** Pulls the bench image and leaves a container named after `what` sleeping in the background. */
async function startSleeper(
  engine: BenchEngine,
  context: BenchContext,
  what: string,
): Promise<void> {
  await docker(engine, ['pull', '-q', imageRef(context.registryHost)]);
  await docker(engine, [
    'run',
    '-d',
    '--network',
    'none',
    '--name',
    runName(engine, what),
    imageRef(context.registryHost),
    'sleep',
    '3600',
  ]);
}

export const runRemoveTrue: Scenario = {
  name: 'docker run --rm busybox true',
  unit: 'ms',
  higherIsBetter: false,
  samples: 10,
  goalRatio: 0.35,
  prepare: async (engine, context) =>
    void (await docker(engine, ['pull', '-q', imageRef(context.registryHost)])),
  sample: (engine, context) =>
    timedDocker(engine, [
      'run',
      '--rm',
      '--network',
      'none',
      imageRef(context.registryHost),
      'true',
    ]),
};

export const execTrue: Scenario = {
  name: 'docker exec c true',
  unit: 'ms',
  higherIsBetter: false,
  samples: 15,
  goalRatio: 0.6,
  prepare: (engine, context) => startSleeper(engine, context, 'exec'),
  sample: (engine) => timedDocker(engine, ['exec', runName(engine, 'exec'), 'true']),
  cleanup: async (engine) => void (await docker(engine, ['rm', '-f', runName(engine, 'exec')])),
};

/** 100 MB of 80-byte lines, printed once; then `docker logs` reads them back. */
const LOG_BYTES = 100_000_000;
export const logs100MB: Scenario = {
  name: 'docker logs of 100 MB',
  unit: 'MB/s',
  higherIsBetter: true,
  samples: 3,
  goalRatio: 10,
  prepare: async (engine, context) => {
    await docker(engine, ['pull', '-q', imageRef(context.registryHost)]);
    const line = 'x'.repeat(79);
    // Detached, then waited for: an attached run would hand its 100 MB of output to this
    // process, whose garbage collection then competes with the samples for the CPU.
    await docker(engine, [
      'run', '-d', '--network', 'none', '--name', runName(engine, 'logs'),
      imageRef(context.registryHost), 'sh', '-c', `yes ${line} | head -c ${LOG_BYTES}`,
    ]); // prettier-ignore
    await docker(engine, ['wait', runName(engine, 'logs')]);
  },
  sample: async (engine) => {
    // The CLI writes straight to /dev/null, as `docker logs c > /dev/null` would: collecting
    // 100 MB in this process would measure Node, not the engine.
    const ms = await timed(
      () =>
        new Promise<void>((resolve, reject) => {
          const child = spawn('docker', ['-H', engine.host, 'logs', runName(engine, 'logs')], {
            stdio: ['ignore', 'ignore', 'ignore'],
          });
          child.on('error', reject);
          child.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`docker logs exited ${code}`)),
          );
        }),
    );
    return LOG_BYTES / 1e6 / (ms / 1000);
  },
  cleanup: async (engine) => void (await docker(engine, ['rm', '-f', runName(engine, 'logs')])),
};

export const statsNoStream: Scenario = {
  name: 'GET /containers/{id}/stats?stream=false',
  unit: 'ms',
  higherIsBetter: false,
  samples: 10,
  goalRatio: 0.1,
  prepare: (engine, context) => startSleeper(engine, context, 'stats'),
  sample: (engine) =>
    timed(() => apiGet(engine, `/containers/${runName(engine, 'stats')}/stats?stream=false`)),
  cleanup: async (engine) => void (await docker(engine, ['rm', '-f', runName(engine, 'stats')])),
};

const LIST_CONTAINERS = 120;
export const listManyContainers: Scenario = {
  name: `GET /containers/json?all=1 with ${LIST_CONTAINERS} containers`,
  unit: 'ms',
  higherIsBetter: false,
  samples: 15,
  goalRatio: 1,
  prepare: async (engine, context) => {
    await docker(engine, ['pull', '-q', imageRef(context.registryHost)]);
    for (let index = 0; index < LIST_CONTAINERS; index++) {
      await docker(engine, [
        'create',
        '--network',
        'none',
        '--name',
        `${runName(engine, 'list')}-${index}`,
        imageRef(context.registryHost),
        'true',
      ]);
    }
  },
  sample: (engine) => timed(() => apiGet(engine, '/containers/json?all=1')),
  cleanup: async (engine) => {
    const ids = (await docker(engine, ['ps', '-aq', '--filter', `name=${runName(engine, 'list')}`]))
      .split('\n')
      .filter(Boolean);
    if (ids.length) await docker(engine, ['rm', '-f', ...ids]);
  },
};

/** Pull of 3 × 50 MB gzip layers from the loopback registry, in compressed MB/s. */
export function pullPayload(compressedBytes: number): Scenario {
  return {
    name: 'docker pull 3 × 50 MB layers (loopback registry)',
    unit: 'MB/s',
    higherIsBetter: true,
    samples: 3,
    goalRatio: 3,
    sample: async (engine, context) => {
      const ref = imageRef(context.registryHost, PAYLOAD_IMAGE_REPOSITORY);
      await docker(engine, ['rmi', '-f', ref]).catch(() => undefined);
      await docker(engine, ['image', 'prune', '-f']).catch(() => undefined);
      const ms = await timed(() => docker(engine, ['pull', '-q', ref]));
      return compressedBytes / 1e6 / (ms / 1000);
    },
    cleanup: async (engine, context) => {
      await docker(engine, [
        'rmi',
        '-f',
        imageRef(context.registryHost, PAYLOAD_IMAGE_REPOSITORY),
      ]).catch(() => undefined);
    },
  };
}
