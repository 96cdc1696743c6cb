// The whole contract: service name → spec table. Transports and proxies iterate this.
import { containersSpec, type ContainersService } from './containers';
import { engineSpec, type EngineService } from './engine';
import { filesSpec, type FilesService } from './files';
import { imagesSpec, type ImagesService } from './images';
import { inspectSpec, type InspectService } from './inspect';
import { logsSpec, type LogsService } from './logs';
import { networksSpec, type NetworksService } from './networks';
import { settingsSpec, type SettingsService } from './settings';
import { statsSpec, type StatsService } from './stats';
import { terminalSpec, type TerminalService } from './terminal';
import { volumesSpec, type VolumesService } from './volumes';

export const contract = {
  engine: engineSpec,
  containers: containersSpec,
  images: imagesSpec,
  volumes: volumesSpec,
  networks: networksSpec,
  settings: settingsSpec,
  terminal: terminalSpec,
  logs: logsSpec,
  stats: statsSpec,
  inspect: inspectSpec,
  files: filesSpec,
};

export type Contract = typeof contract;
export type ServiceName = keyof Contract;

export interface BerthServices {
  engine: EngineService;
  containers: ContainersService;
  images: ImagesService;
  volumes: VolumesService;
  networks: NetworksService;
  settings: SettingsService;
  terminal: TerminalService;
  logs: LogsService;
  stats: StatsService;
  inspect: InspectService;
  files: FilesService;
}
