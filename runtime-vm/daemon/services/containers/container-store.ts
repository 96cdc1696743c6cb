// Container records on disk: one directory per container under <dataRoot>/containers, whose
// config.v2.json is written atomically. A directory without it is a create that never finished.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../store/atomic';
import type { ContainerRecord } from './types';

const recordFile = 'config.v2.json';

export interface LoadedRecords {
  records: ContainerRecord[];
  /** Directories of creates interrupted by a crash, to be removed. */
  incomplete: string[];
}

export class ContainerStore {
  readonly root: string;

  constructor(dataRoot: string) {
    this.root = join(dataRoot, 'containers');
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o710 });
  }

  async save(record: ContainerRecord): Promise<void> {
    await mkdir(this.dir(record.Id), { recursive: true, mode: 0o710 });
    await writeJsonAtomic(join(this.dir(record.Id), recordFile), record);
  }

  async loadAll(): Promise<LoadedRecords> {
    const result: LoadedRecords = { records: [], incomplete: [] };
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(this.root, entry.name, recordFile);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        result.incomplete.push(join(this.root, entry.name));
        continue;
      }
      result.records.push(JSON.parse(text) as ContainerRecord);
    }
    return result;
  }

  /** Deletes only the record, which marks the directory as garbage. */
  async forget(id: string): Promise<void> {
    await rm(join(this.dir(id), recordFile), { force: true });
  }

  async remove(id: string): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true });
  }
}
