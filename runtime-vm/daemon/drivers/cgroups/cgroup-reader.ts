// Reads a container's cgroup files on v1, hybrid (v1 controllers + an empty v2 tree) or pure v2.
// runc places a container at the same relative path (`cgroupsPath`) under every hierarchy.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../../errors';
import { parseV1, parseV2, type CgroupStats } from './cgroup-stats';

export type CgroupMode = 'v1' | 'v2';

/** Pure v2 when the unified hierarchy is mounted at the root with its controllers. */
export function detectCgroupMode(root = '/sys/fs/cgroup'): CgroupMode {
  return existsSync(join(root, 'cgroup.controllers')) ? 'v2' : 'v1';
}

export class CgroupReader {
  readonly mode: CgroupMode;

  constructor(private readonly root = '/sys/fs/cgroup') {
    this.mode = detectCgroupMode(root);
  }

  /** Stats of the cgroup at `path` (e.g. `/berth/<id>`); NotFoundError when it is gone. */
  async read(path: string): Promise<CgroupStats> {
    const probe = this.mode === 'v2' ? join(this.root, path) : join(this.root, 'memory', path);
    if (!existsSync(probe)) throw new NotFoundError(`cgroup ${path} does not exist`);
    return this.mode === 'v2' ? this.readV2(path) : this.readV1(path);
  }

  private file(controller: string | undefined, path: string, name: string): Promise<string> {
    const dir = controller ? join(this.root, controller, path) : join(this.root, path);
    // Controllers can be missing (no blkio in some VMs, memory.peak on older kernels).
    return readFile(join(dir, name), 'utf8').catch(() => '');
  }

  private async readV1(path: string): Promise<CgroupStats> {
    const f = (controller: string, name: string) => this.file(controller, path, name);
    const [
      cpuacctUsage, cpuacctUsagePercpu, cpuacctStat, cpuStat,
      memoryUsage, memoryMaxUsage, memoryLimit, memoryFailcnt, memoryStat,
      pidsCurrent, pidsMax, blkioServiceBytes, blkioServiced,
    ] = await Promise.all([
      f('cpuacct', 'cpuacct.usage'), f('cpuacct', 'cpuacct.usage_percpu'), f('cpuacct', 'cpuacct.stat'),
      f('cpu', 'cpu.stat'), f('memory', 'memory.usage_in_bytes'), f('memory', 'memory.max_usage_in_bytes'),
      f('memory', 'memory.limit_in_bytes'), f('memory', 'memory.failcnt'), f('memory', 'memory.stat'),
      f('pids', 'pids.current'), f('pids', 'pids.max'),
      f('blkio', 'blkio.throttle.io_service_bytes_recursive'), f('blkio', 'blkio.throttle.io_serviced_recursive'),
    ]); // prettier-ignore
    return parseV1({
      cpuacctUsage, cpuacctUsagePercpu, cpuacctStat, cpuStat,
      memoryUsage, memoryMaxUsage, memoryLimit, memoryFailcnt, memoryStat,
      pidsCurrent, pidsMax, blkioServiceBytes, blkioServiced,
    }); // prettier-ignore
  }

  private async readV2(path: string): Promise<CgroupStats> {
    const f = (name: string) => this.file(undefined, path, name);
    const [cpuStat, memoryCurrent, memoryPeak, memoryMax, memoryStat, memoryEvents, pidsCurrent, pidsMax, ioStat] =
      await Promise.all([
        f('cpu.stat'), f('memory.current'), f('memory.peak'), f('memory.max'), f('memory.stat'),
        f('memory.events'), f('pids.current'), f('pids.max'), f('io.stat'),
      ]); // prettier-ignore
    return parseV2({
      cpuStat,
      memoryCurrent,
      memoryPeak,
      memoryMax,
      memoryStat,
      memoryEvents,
      pidsCurrent,
      pidsMax,
      ioStat,
    });
  }
}
