// `npm run bench`: berthd and Debian's dockerd, side by side in one run, on one machine. Prints
// medians and berthd/dockerd ratios against each issue's goal. Never part of `npm test`.
//   npm run bench                 every scenario
//   npm run bench -- logs exec    only scenarios whose name contains one of the words
import { startBerthd } from '../api/helpers/berthd';
import { startDockerd } from '../fixtures/dockerd';
import { busyboxImage, payloadImage } from '../fixtures/images';
import { startRegistry } from '../fixtures/registry';
import { formatResults, runScenario, type BenchEngine, type ScenarioResult } from './harness';
import { measureMemory } from './memory';
import { buildTwentySteps, buildWarmRebuild } from './build';
import {
  BENCH_IMAGE_REPOSITORY,
  PAYLOAD_IMAGE_REPOSITORY,
  execTrue,
  listManyContainers,
  logs100MB,
  pullPayload,
  runRemoveTrue,
  statsNoStream,
} from './scenarios';

const filters = process.argv.slice(2).map((word) => word.toLowerCase());
const selected = (name: string) =>
  filters.length === 0 || filters.some((word) => name.toLowerCase().includes(word));

console.log('bench: building images and starting a loopback registry...');
const payload = payloadImage(3, 50 * 1024 * 1024);
const registry = await startRegistry();
const berthd = await startBerthd();
const dockerd = await startDockerd();
try {
  await registry.push(BENCH_IMAGE_REPOSITORY, 'latest', busyboxImage());
  await registry.push(PAYLOAD_IMAGE_REPOSITORY, 'latest', payload);
  const payloadBytes = payload.layers.slice(1).reduce((sum, layer) => sum + layer.data.length, 0);

  const engines: { berthd: BenchEngine; dockerd: BenchEngine } = {
    berthd: { name: 'berthd', socket: berthd.socket, host: berthd.host },
    dockerd: { name: 'dockerd', socket: dockerd.socket, host: dockerd.host },
  };
  const context = { registryHost: registry.host };
  const scenarios = [
    pullPayload(payloadBytes),
    runRemoveTrue,
    execTrue,
    logs100MB,
    statsNoStream,
    listManyContainers,
    buildWarmRebuild,
    buildTwentySteps,
  ];

  const results: ScenarioResult[] = [];
  for (const scenario of scenarios.filter((s) => selected(s.name))) {
    console.log(`bench: ${scenario.name}...`);
    try {
      results.push(await runScenario(scenario, engines, context));
    } catch (error) {
      console.log(`bench: ${scenario.name} FAILED: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  console.log(`\n${formatResults(results)}`);

  if (selected('memory')) {
    const berthdMemory = await measureMemory(
      engines.berthd,
      { daemons: [[berthd.socket]], supervisors: ['conmon', berthd.execRoot] },
      context,
    );
    const dockerdMemory = await measureMemory(
      engines.dockerd,
      {
        daemons: [
          ['dockerd', dockerd.socket],
          ['containerd', dockerd.socket.replace(/docker\.sock$/, 'exec')],
        ],
        supervisors: ['containerd-shim', `berth-bench-${process.pid}`],
      },
      context,
    );
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    console.log(
      `\nmemory idle        berthd ${berthdMemory.idleMiB.toFixed(1)} MiB  dockerd+containerd ${dockerdMemory.idleMiB.toFixed(1)} MiB  ratio ${ratio(berthdMemory.idleMiB, dockerdMemory.idleMiB)}× goal 0.5×`,
    );
    console.log(
      `memory / container berthd ${berthdMemory.perContainerMiB.toFixed(1)} MiB  dockerd ${dockerdMemory.perContainerMiB.toFixed(1)} MiB  ratio ${ratio(berthdMemory.perContainerMiB, dockerdMemory.perContainerMiB)}× goal 0.25×`,
    );
  }
} finally {
  await dockerd.stop();
  await berthd.stop();
  await registry.stop();
}
