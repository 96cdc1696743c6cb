// Resource limits: validates HostConfig like dockerd (same messages) and maps it to the OCI
// resources section runc applies to the container's cgroup.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../../errors';
import type { OciResources } from '../../../drivers/runtime/oci-spec';
import type { HostConfig } from '../types';

const minimumMemory = 6 * 1024 * 1024;
const defaultCfsPeriod = 100_000;

/** Parses a cpuset list ("0-2,4") into cpu numbers; null when malformed. */
export function parseCpuSet(list: string): number[] | null {
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return null;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) return null;
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** Throws InvalidArgumentError for settings dockerd rejects; cpuCount = CPUs on this host. */
export function validateResources(host: HostConfig, cpuCount: number): void {
  const memory = host.Memory ?? 0;
  const swap = host.MemorySwap ?? 0;
  const reservation = host.MemoryReservation ?? 0;
  if (memory !== 0 && memory < minimumMemory) {
    throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  }
  if (swap > 0 && memory === 0) {
    throw new InvalidArgumentError(
      'You should always set the Memory limit when using Memoryswap limit, see usage',
    );
  }
  if (swap > 0 && swap < memory) {
    throw new InvalidArgumentError(
      'Minimum memoryswap limit should be larger than memory limit, see usage',
    );
  }
  if (swap < -1) throw new InvalidArgumentError(`invalid memory swap limit: ${swap}`);
  if (reservation < 0) throw new InvalidArgumentError(`invalid memory reservation: ${reservation}`);
  if (memory > 0 && reservation > memory) {
    throw new InvalidArgumentError(
      'Minimum memory limit can not be less than memory reservation limit, see usage',
    );
  }
  const swappiness = host.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && (swappiness < -1 || swappiness > 100)) {
    throw new InvalidArgumentError(
      `Invalid value: ${swappiness}, valid memory swappiness range is 0-100`,
    );
  }
  const nano = host.NanoCpus ?? 0;
  if (nano > 0 && (host.CpuPeriod ?? 0) > 0) {
    throw new InvalidArgumentError(
      'Conflicting options: Nano CPUs and CPU Period cannot both be set',
    );
  }
  if (nano > 0 && (host.CpuQuota ?? 0) > 0) {
    throw new InvalidArgumentError(
      'Conflicting options: Nano CPUs and CPU Quota cannot both be set',
    );
  }
  if (nano < 0 || nano > cpuCount * 1e9) {
    throw new InvalidArgumentError(
      `Range of CPUs is from 0.01 to ${cpuCount}.00, as there are only ${cpuCount} CPUs available`,
    );
  }
  const period = host.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    throw new InvalidArgumentError(
      'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)',
    );
  }
  const quota = host.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) {
    throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  }
  if ((host.CpuShares ?? 0) < 0) {
    throw new InvalidArgumentError(`invalid CPU shares: ${host.CpuShares}`);
  }
  if (host.CpusetCpus) {
    const cpus = parseCpuSet(host.CpusetCpus);
    if (cpus === null) {
      throw new InvalidArgumentError(`Invalid value ${host.CpusetCpus} for cpuset cpus`);
    }
    if (cpus.some((cpu) => cpu >= cpuCount)) {
      throw new InvalidArgumentError(
        `Requested CPUs are not available - requested ${host.CpusetCpus}, available: 0-${cpuCount - 1}`,
      );
    }
  }
  if (host.CpusetMems && parseCpuSet(host.CpusetMems) === null) {
    throw new InvalidArgumentError(`Invalid value ${host.CpusetMems} for cpuset mems`);
  }
  const weight = host.BlkioWeight ?? 0;
  if (weight !== 0 && (weight < 10 || weight > 1000)) {
    throw new InvalidArgumentError('Range of blkio weight is from 10 to 1000');
  }
}

/** OCI resources for a validated HostConfig; devices are left to the caller. */
export function ociResources(host: HostConfig, swapLimitSupported = true): OciResources {
  const resources: OciResources = {};
  const memory = host.Memory ?? 0;
  const memorySection: NonNullable<OciResources['memory']> = {};
  if (memory > 0) {
    memorySection.limit = memory;
    const swap = host.MemorySwap ?? 0;
    // Docker: unset swap with a memory limit means "as much swap as memory" (total 2x). Without
    // swap accounting in the kernel the swap limit is dropped, as dockerd does.
    if (swapLimitSupported) memorySection.swap = swap === 0 ? memory * 2 : swap;
  }
  if ((host.MemoryReservation ?? 0) > 0) memorySection.reservation = host.MemoryReservation;
  const swappiness = host.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness >= 0) {
    memorySection.swappiness = swappiness;
  }
  if (host.OomKillDisable) memorySection.disableOOMKiller = true;
  if (Object.keys(memorySection).length > 0) resources.memory = memorySection;

  const cpu: NonNullable<OciResources['cpu']> = {};
  const nano = host.NanoCpus ?? 0;
  if (nano > 0) {
    cpu.period = defaultCfsPeriod;
    cpu.quota = Math.round((nano * defaultCfsPeriod) / 1e9);
  } else {
    if ((host.CpuPeriod ?? 0) > 0) cpu.period = host.CpuPeriod;
    if ((host.CpuQuota ?? 0) > 0) cpu.quota = host.CpuQuota;
  }
  if ((host.CpuShares ?? 0) > 0) cpu.shares = Math.max(2, host.CpuShares ?? 0);
  if (host.CpusetCpus) cpu.cpus = host.CpusetCpus;
  if (host.CpusetMems) cpu.mems = host.CpusetMems;
  if (Object.keys(cpu).length > 0) resources.cpu = cpu;

  const pids = host.PidsLimit ?? 0;
  if (pids > 0) resources.pids = { limit: pids };
  if ((host.BlkioWeight ?? 0) > 0) resources.blockIO = { weight: host.BlkioWeight };
  return resources;
}

/** Whether the kernel accounts swap per cgroup (v1 memsw files, or v2 memory.swap.max). */
export function swapLimitSupported(cgroupRoot = '/sys/fs/cgroup'): boolean {
  if (existsSync(join(cgroupRoot, 'memory', 'memory.memsw.limit_in_bytes'))) return true;
  if (!existsSync(join(cgroupRoot, 'cgroup.controllers'))) return false;
  // The v2 root has no memory.swap.max; any child group shows whether the kernel supports it.
  try {
    return readdirSync(cgroupRoot, { withFileTypes: true }).some(
      (entry) => entry.isDirectory() && existsSync(join(cgroupRoot, entry.name, 'memory.swap.max')),
    );
  } catch {
    return false;
  }
}
