import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ociResources, parseCpuSet, swapLimitSupported, validateResources } from './resources';

const MiB = 1024 * 1024;

describe('validateResources', () => {
  it.each([
    [{ Memory: -1 }, 'Minimum memory limit allowed is 6MB'],
    [{ Memory: 1024 }, 'Minimum memory limit allowed is 6MB'],
    [
      { MemorySwap: 100 * MiB },
      'You should always set the Memory limit when using Memoryswap limit',
    ],
    [
      { Memory: 100 * MiB, MemorySwap: 50 * MiB },
      'Minimum memoryswap limit should be larger than memory limit',
    ],
    [
      { NanoCpus: 1e9, CpuQuota: 50_000 },
      'Conflicting options: Nano CPUs and CPU Quota cannot both be set',
    ],
    [
      { NanoCpus: 1e9, CpuPeriod: 50_000 },
      'Conflicting options: Nano CPUs and CPU Period cannot both be set',
    ],
    [{ NanoCpus: 3e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    [{ CpuPeriod: 10 }, 'CPU cfs period can not be less than 1ms'],
    [{ CpuQuota: 10 }, 'CPU cfs quota can not be less than 1ms'],
    [{ CpusetCpus: '0-5' }, 'Requested CPUs are not available - requested 0-5, available: 0-1'],
    [{ CpusetCpus: 'x' }, 'Invalid value x for cpuset cpus'],
    [{ MemorySwappiness: 101 }, 'valid memory swappiness range is 0-100'],
    [{ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000'],
  ])('%j → %s', (host, message) => {
    expect(() => validateResources(host, 2)).toThrow(message);
  });

  it('accepts sane limits', () => {
    expect(() =>
      validateResources(
        { Memory: 64 * MiB, MemorySwap: -1, NanoCpus: 1.5e9, CpusetCpus: '0-1', PidsLimit: 10 },
        2,
      ),
    ).not.toThrow();
  });
});

describe('ociResources', () => {
  it('memory swap: unset → 2x memory, -1 → unlimited, explicit → as given', () => {
    expect(ociResources({ Memory: 64 * MiB }).memory).toEqual({ limit: 64 * MiB, swap: 128 * MiB });
    expect(ociResources({ Memory: 64 * MiB, MemorySwap: -1 }).memory).toEqual({
      limit: 64 * MiB,
      swap: -1,
    });
    expect(ociResources({ Memory: 64 * MiB, MemorySwap: 96 * MiB }).memory).toEqual({
      limit: 64 * MiB,
      swap: 96 * MiB,
    });
  });

  it('swap limits are dropped where the kernel has no swap accounting', () => {
    expect(ociResources({ Memory: 64 * MiB, MemorySwap: 96 * MiB }, false).memory).toEqual({
      limit: 64 * MiB,
    });
  });

  it('detects swap accounting from cgroup v1 and v2 files', () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-cgroup-'));
    try {
      const v1 = join(root, 'v1');
      mkdirSync(join(v1, 'memory'), { recursive: true });
      expect(swapLimitSupported(v1)).toBe(false);
      writeFileSync(join(v1, 'memory', 'memory.memsw.limit_in_bytes'), '');
      expect(swapLimitSupported(v1)).toBe(true);
      const v2 = join(root, 'v2');
      mkdirSync(join(v2, 'init.scope'), { recursive: true });
      writeFileSync(join(v2, 'cgroup.controllers'), 'cpu memory pids');
      expect(swapLimitSupported(v2)).toBe(false);
      writeFileSync(join(v2, 'init.scope', 'memory.swap.max'), 'max');
      expect(swapLimitSupported(v2)).toBe(true);
      expect(swapLimitSupported(join(root, 'missing'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('cpus become a CFS quota over a 100 ms period', () => {
    expect(ociResources({ NanoCpus: 1.5e9 }).cpu).toEqual({ period: 100_000, quota: 150_000 });
    expect(ociResources({ CpuQuota: 20_000, CpuPeriod: 50_000 }).cpu).toEqual({
      period: 50_000,
      quota: 20_000,
    });
  });

  it('pids limit only when positive; nothing set → empty', () => {
    expect(ociResources({ PidsLimit: 0 }).pids).toBeUndefined();
    expect(ociResources({ PidsLimit: -1 }).pids).toBeUndefined();
    expect(ociResources({ PidsLimit: 7 }).pids).toEqual({ limit: 7 });
    expect(ociResources({})).toEqual({});
  });

  it('cpu shares are clamped to the kernel minimum of 2', () => {
    expect(ociResources({ CpuShares: 1 }).cpu).toEqual({ shares: 2 });
  });
});

describe('parseCpuSet', () => {
  it('expands ranges and lists', () => {
    expect(parseCpuSet('0-2,5')).toEqual([0, 1, 2, 5]);
    expect(parseCpuSet('2-1')).toBeNull();
    expect(parseCpuSet('a')).toBeNull();
  });
});
