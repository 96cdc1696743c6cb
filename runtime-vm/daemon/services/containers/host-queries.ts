// Questions answered by looking at the host: `docker top` (ps filtered to the container's
// pids) and disk usage of a container's writable layer.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, SystemError } from '../../errors';
import { CommandError, runCommand } from '../../drivers/runtime/run-command';

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/** Splits `ps` output into titles and rows; the last column (the command) keeps its spaces. */
export function parsePsOutput(output: string, pids: readonly number[]): TopResult {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidColumn = titles.indexOf('PID');
  if (pidColumn < 0) throw new InvalidArgumentError("Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (wanted.has(Number(row[pidColumn]))) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}

export async function topProcesses(psArgs: string, pids: readonly number[]): Promise<TopResult> {
  const args = psArgs.trim() === '' ? ['-ef'] : psArgs.trim().split(/\s+/);
  let output: string;
  try {
    output = await runCommand('ps', args);
  } catch (error) {
    const detail = error instanceof CommandError ? error.stderr.trim() : String(error);
    throw new SystemError(`ps: ${detail}`, { cause: error });
  }
  return parsePsOutput(output, pids);
}

/** Bytes used by the files under `dir` (hard links counted once); 0 when it does not exist. */
export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        await walk(child);
        continue;
      }
      const info = await lstat(child).catch(() => undefined);
      if (!info) continue;
      const key = `${info.dev}:${info.ino}`;
      if (info.nlink > 1) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += info.size;
    }
  };
  await walk(dir);
  return total;
}
