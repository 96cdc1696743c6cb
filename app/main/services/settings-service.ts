import type { SettingsService } from '../../shared/services/settings';
import type { SettingsStore } from '../engine/settings-store';

export function createSettingsService(store: SettingsStore): SettingsService {
  return {
    get: async () => store.get(),
    update: async (patch) => store.update(patch),
  };
}
