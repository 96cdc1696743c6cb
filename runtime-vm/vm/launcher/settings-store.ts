// VM settings (CPUs, memory, disk) persisted beside the VM's state. Changes are saved at once and
// take effect at the next start: a running VM keeps what it booted with.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_SETTINGS, validateSettings, type VmSettings } from './vm-driver';

export class SettingsStore {
  constructor(private readonly path: string) {}

  read(): VmSettings {
    if (!existsSync(this.path)) return { ...DEFAULT_SETTINGS };
    const stored = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<VmSettings>;
    return validateSettings({ ...DEFAULT_SETTINGS, ...stored });
  }

  update(change: Partial<VmSettings>): VmSettings {
    const next = validateSettings({ ...this.read(), ...change });
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, JSON.stringify(next, null, 2) + '\n');
    renameSync(temporary, this.path);
    return next;
  }
}
