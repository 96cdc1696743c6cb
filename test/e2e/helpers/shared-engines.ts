// Vitest global setup for the e2e run: one engine of each kind under test, started once and
// shared by every file (each file empties it again when done), instead of a berthd and a dockerd
// started and stopped per file.
import type { TestProject } from 'vitest/node';
import { stopInOrder } from './cleanup';
import { enginesUnderTest, launchEngine, type TestEngine } from './engines';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const engines: TestEngine[] = [];
  const stopAll = () => stopInOrder(...engines.map((engine) => () => engine.stop()));
  try {
    for (const kind of enginesUnderTest()) engines.push(await launchEngine(kind));
  } catch (error) {
    await stopAll();
    throw error;
  }
  project.provide(
    'berthE2eEngines',
    engines.map(({ kind, endpoint, socketPath }) => ({ kind, endpoint, socketPath })),
  );
  return stopAll;
}
