import { method, type ServiceOf } from '../contract';
import type { Settings } from '../types';
import { v } from '../validation';

export const settingsSpec = {
  get: method<Settings>()(v.none()),
  update: method<Settings>()(
    v.object({
      theme: v.optional(v.literal('light', 'dark', 'system')),
      defaultShell: v.optional(v.string({ min: 1, max: 256, pattern: /^[^\p{Cc}]+$/u })),
      shellsByImage: v.optional(
        v.record(
          v.object({
            shell: v.string({ min: 1, max: 1024, pattern: /^[^\p{Cc}]+$/u }),
            user: v.optional(v.string({ max: 256 })),
            workdir: v.optional(v.string({ max: 4096 })),
          }),
        ),
      ),
    }),
  ),
};

export type SettingsService = ServiceOf<typeof settingsSpec>;
