// The whole contract: service name → spec table. Transports and proxies iterate this.
import { containersSpec, type ContainersService } from './containers';
import { engineSpec, type EngineService } from './engine';
import { imagesSpec, type ImagesService } from './images';
import { networksSpec, type NetworksService } from './networks';
import { settingsSpec, type SettingsService } from './settings';
import { volumesSpec, type VolumesService } from './volumes';

export const contract = {
  engine: engineSpec,
  containers: containersSpec,
  images: imagesSpec,
  volumes: volumesSpec,
  networks: networksSpec,
  settings: settingsSpec,
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
}
