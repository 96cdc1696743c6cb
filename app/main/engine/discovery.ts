// Where engines come from: the local berthd, DOCKER_HOST, the docker CLI's contexts, the command
// line (--engine) and the user's own list. Discovery reads files; it never contacts an engine.
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { EngineConfig } from '../../shared/types';

export const defaultBerthdSocket = '/run/berth/berthd.sock';

export interface DiscoveryInput {
  env: Record<string, string | undefined>;
  dockerConfigDir?: string;
  cliEngine?: string;
  berthdSocket?: string;
}

interface ContextMeta {
  Name?: unknown;
  Endpoints?: { docker?: { Host?: unknown } };
}

export function contextEngines(dockerConfigDir: string): EngineConfig[] {
  const metaRoot = join(dockerConfigDir, 'contexts', 'meta');
  let entries: string[];
  try {
    entries = readdirSync(metaRoot);
  } catch {
    return []; // no contexts configured is the common case, not an error
  }
  const engines: EngineConfig[] = [];
  for (const entry of entries) {
    let meta: ContextMeta;
    try {
      meta = JSON.parse(readFileSync(join(metaRoot, entry, 'meta.json'), 'utf8')) as ContextMeta;
    } catch {
      continue; // a half-written or foreign directory; the CLI ignores it too
    }
    const host = meta.Endpoints?.docker?.Host;
    if (typeof meta.Name !== 'string' || typeof host !== 'string') continue;
    engines.push({
      id: `context:${meta.Name}`,
      name: `Context ${meta.Name}`,
      kind: 'context',
      endpoint: host,
    });
  }
  return engines.sort((a, b) => a.name.localeCompare(b.name));
}

export function discoverEngines(input: DiscoveryInput): EngineConfig[] {
  const engines: EngineConfig[] = [];
  if (input.cliEngine) {
    engines.push({
      id: 'cli',
      name: 'Command line engine',
      kind: 'cli',
      endpoint: input.cliEngine,
    });
  }
  engines.push({
    id: 'berthd',
    name: 'Local berthd',
    kind: 'berthd',
    endpoint: `unix://${input.berthdSocket ?? defaultBerthdSocket}`,
  });
  const dockerHost = input.env.DOCKER_HOST;
  if (dockerHost) {
    engines.push({
      id: 'docker-host',
      name: 'DOCKER_HOST',
      kind: 'docker-host',
      endpoint: dockerHost,
    });
  }
  const configDir = input.dockerConfigDir ?? input.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  engines.push(...contextEngines(configDir));
  return engines;
}
