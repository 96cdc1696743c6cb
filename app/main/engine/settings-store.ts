// Settings persisted as one JSON file, written atomically (temp file + rename).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../shared/types';

export const defaultSettings: Settings = {
  theme: 'system',
  defaultShell: '/bin/sh',
  activeEngineId: '',
  manualEngines: [],
};

export class SettingsStore {
  private current: Settings;
  private readonly file: string;

  constructor(private readonly dir: string | undefined) {
    this.file = dir ? join(dir, 'settings.json') : '';
    this.current = this.load();
  }

  private load(): Settings {
    if (!this.file) return { ...defaultSettings };
    try {
      const saved = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<Settings>;
      return { ...defaultSettings, ...saved };
    } catch {
      return { ...defaultSettings }; // first run, or an unreadable file we will overwrite
    }
  }

  get(): Settings {
    return structuredClone(this.current);
  }

  update(patch: Partial<Settings>): Settings {
    this.current = { ...this.current, ...patch };
    if (this.dir) {
      mkdirSync(this.dir, { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify(this.current, null, 2));
      renameSync(temp, this.file);
    }
    return this.get();
  }
}
