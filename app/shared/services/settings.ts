import { method, type ServiceOf } from '../contract';
import type { Settings } from '../types';
import { v } from '../validation';

export const settingsSpec = {
  get: method<Settings>()(v.none()),
  update: method<Settings>()(
    v.object({
      theme: v.optional(v.literal('light', 'dark', 'system')),
      defaultShell: v.optional(v.string({ min: 1, max: 256, pattern: /^[^\p{Cc}]+$/u })),
    }),
  ),
};

export type SettingsService = ServiceOf<typeof settingsSpec>;
