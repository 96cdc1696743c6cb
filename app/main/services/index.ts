// Composition root for the services: one engine manager, one implementation per contract
// service. Electron and browser mode both call this, then serve the result over their transport.
import type { BerthServices } from '../../shared/services/index';
import { EngineManager } from '../engine/engine-manager';
import { SettingsStore } from '../engine/settings-store';
import { createContainersService } from './containers-service';
import { createEngineService } from './engine-service';
import { createFilesService } from './files-service';
import { createImagesService } from './images-service';
import { createInspectService } from './inspect-service';
import { createLogsService } from './logs-service';
import { createNetworksService } from './networks-service';
import { createSettingsService } from './settings-service';
import { createStatsService } from './stats-service';
import { createTerminalService } from './terminal-service';
import { createVolumesService } from './volumes-service';

export interface ServicesOptions {
  /** Where settings.json lives; undefined keeps settings in memory (tests). */
  configDir: string | undefined;
  /** --engine from the command line: becomes the active engine. */
  cliEngine?: string;
  env?: Record<string, string | undefined>;
  dockerConfigDir?: string;
  berthdSocket?: string;
}

export interface ServicesRuntime {
  services: BerthServices;
  engines: EngineManager;
}

export function createServices(options: ServicesOptions): ServicesRuntime {
  const settings = new SettingsStore(options.configDir);
  const engines = new EngineManager(settings, {
    env: options.env ?? process.env,
    cliEngine: options.cliEngine,
    dockerConfigDir: options.dockerConfigDir,
    berthdSocket: options.berthdSocket,
  });
  return {
    engines,
    services: {
      engine: createEngineService(engines),
      containers: createContainersService(engines),
      images: createImagesService(engines),
      volumes: createVolumesService(engines),
      networks: createNetworksService(engines),
      settings: createSettingsService(settings),
      terminal: createTerminalService(engines),
      logs: createLogsService(engines),
      stats: createStatsService(engines),
      inspect: createInspectService(engines),
      files: createFilesService(engines),
    },
  };
}
