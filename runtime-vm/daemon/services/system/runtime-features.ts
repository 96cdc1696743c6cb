// What the OCI runtime can do, from `<runtime> features` (runtime-spec features.md), asked once.
// GET /info shows it as Runtimes[].status (API 1.44), and read-only mounts become recursively
// read-only (`rro`) only when both the kernel (mount_setattr, Linux 5.12) and the runtime can.
import { execFile } from 'node:child_process';
import { release } from 'node:os';
import { basename } from 'node:path';
import type { RecursiveReadOnlySupport } from '../volumes/mount-spec';

/** The runtime-spec "features" document; berthd reads only mountOptions. */
export interface RuntimeFeatures {
  ociVersionMin?: string;
  ociVersionMax?: string;
  mountOptions?: string[];
  [key: string]: unknown;
}

/** Runs `<runtime> features` and returns its stdout, or rejects. */
export type FeaturesCommand = (runtimePath: string) => Promise<string>;

/** The key dockerd uses for the features JSON in GET /info Runtimes[].status. */
export const ociRuntimeFeaturesKey = 'org.opencontainers.runtime-spec.features';

const probeTimeoutMs = 10_000;

/** Runs `<runtime> <args>` and returns its stdout: `features`, and `--version` for crun. */
const runtimeOutput =
  (args: string[]): FeaturesCommand =>
  (runtimePath) =>
    new Promise((resolve, reject) => {
      execFile(
        runtimePath,
        args,
        { timeout: probeTimeoutMs, maxBuffer: 1024 * 1024 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });

/**
 * crun before 1.9 has no `features` command, yet applies `rro`: on Debian 12's crun 1.8.1 a
 * write below an `rro` bind fails both on the bind and on a mount below it.
 */
export function crunAppliesRecursiveReadOnly(versionOutput: string): boolean {
  const m = /^crun version (\d+)\.(\d+)/m.exec(versionOutput);
  if (!m) return false;
  const major = Number(m[1]);
  return major > 1 || (major === 1 && Number(m[2]) >= 8);
}

/** mount_setattr(2) with AT_RECURSIVE arrived in Linux 5.12. */
export function kernelSupportsRecursiveReadOnly(kernelRelease: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 5 || (major === 5 && minor >= 12);
}

export class RuntimeFeatureProbe {
  private cached: Promise<RuntimeFeatures | undefined> | undefined;
  readonly runtimeName: string;

  constructor(
    private readonly runtimePath: string,
    private readonly command: FeaturesCommand = runtimeOutput(['features']),
    private readonly kernelRelease: string = release(),
    private readonly version: FeaturesCommand = runtimeOutput(['--version']),
  ) {
    this.runtimeName = basename(runtimePath);
  }

  /** The features document; undefined when the runtime has no `features` command. */
  features(): Promise<RuntimeFeatures | undefined> {
    // A runtime without the command (or with unreadable output) simply has no features.
    this.cached ??= this.command(this.runtimePath)
      .then((stdout) => {
        const parsed = JSON.parse(stdout) as unknown;
        return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
          ? (parsed as RuntimeFeatures)
          : undefined;
      })
      .catch(() => undefined);
    return this.cached;
  }

  /** dockerd's answer to "can read-only mounts be recursive", with its reasons when not. */
  async recursiveReadOnly(): Promise<RecursiveReadOnlySupport> {
    if (!kernelSupportsRecursiveReadOnly(this.kernelRelease)) {
      return {
        supported: false,
        reason: `rro is not supported: kernel ${this.kernelRelease} has no mount_setattr (kernel is older than 5.12?)`,
      };
    }
    const features = await this.features();
    if (!features && this.runtimeName === 'crun') {
      const output = await this.version(this.runtimePath).catch(() => '');
      if (crunAppliesRecursiveReadOnly(output)) return { supported: true };
    }
    if (!features) {
      return {
        supported: false,
        reason: `rro is not supported by runtime "${this.runtimeName}": OCI features struct is not available`,
      };
    }
    if (!features.mountOptions?.includes('rro')) {
      return {
        supported: false,
        reason: `rro is not supported by runtime "${this.runtimeName}"`,
      };
    }
    return { supported: true };
  }

  /** GET /info Runtimes[name].status: the features JSON under dockerd's key, or empty. */
  async status(): Promise<Record<string, string>> {
    const features = await this.features();
    return features ? { [ociRuntimeFeaturesKey]: JSON.stringify(features) } : {};
  }
}
