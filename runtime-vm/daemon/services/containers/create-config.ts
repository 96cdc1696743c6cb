// From a create request and the image's config to the container's effective Config, with
// Docker's inheritance rules (an overridden entrypoint drops the image's Cmd, env merges by key).
import { InvalidArgumentError } from '../../errors';
import { parseLogConfig } from '../logs/log-options';
import type {
  ContainerConfig,
  CreateRequest,
  HostConfig,
  ImageConfig,
  RestartPolicy,
} from './types';

export type EffectiveConfig = ContainerConfig & {
  Image: string;
  Env: string[];
  Cmd: string[] | null;
};

function asList(value: string[] | string | null | undefined): string[] | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? [value] : value;
}

/** Request env overrides image env by key; order: image keys first, then new request keys. */
export function mergeEnv(imageEnv: readonly string[], requestEnv: readonly string[]): string[] {
  const result = new Map<string, string>();
  for (const entry of [...imageEnv, ...requestEnv]) {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    if (key === '') throw new InvalidArgumentError(`invalid environment variable: ${entry}`);
    // `-e KEY` without a value (the CLI resolves it client-side) is dropped when unresolved.
    if (eq < 0) continue;
    result.set(key, entry);
  }
  return [...result.values()];
}

export function effectiveConfig(
  request: CreateRequest,
  image: ImageConfig,
  imageRef: string,
): EffectiveConfig {
  const requestEntrypoint = asList(request.Entrypoint);
  const requestCmd = asList(request.Cmd);
  const entrypointOverridden = request.Entrypoint !== undefined && request.Entrypoint !== null;
  // An empty entrypoint override ([""] from `--entrypoint ""`) resets it.
  const entrypoint = entrypointOverridden
    ? (requestEntrypoint ?? []).filter(
        (part, i, all) => !(all.length === 1 && part === '' && i === 0),
      )
    : (image.Entrypoint ?? null);
  const cmd =
    requestCmd && requestCmd.length > 0
      ? requestCmd
      : entrypointOverridden
        ? null
        : (image.Cmd ?? null);
  return {
    Hostname: request.Hostname ?? '',
    Domainname: request.Domainname ?? '',
    User: request.User || image.User || '',
    AttachStdin: request.AttachStdin ?? false,
    AttachStdout: request.AttachStdout ?? false,
    AttachStderr: request.AttachStderr ?? false,
    ExposedPorts: { ...(image.ExposedPorts ?? {}), ...(request.ExposedPorts ?? {}) },
    Tty: request.Tty ?? false,
    OpenStdin: request.OpenStdin ?? false,
    StdinOnce: request.StdinOnce ?? false,
    Env: mergeEnv(image.Env ?? [], request.Env ?? []),
    Cmd: cmd,
    ...(request.Healthcheck || image.Healthcheck
      ? { Healthcheck: request.Healthcheck ?? image.Healthcheck }
      : {}),
    Image: imageRef,
    Volumes: { ...(image.Volumes ?? {}), ...(request.Volumes ?? {}) },
    WorkingDir: request.WorkingDir || image.WorkingDir || '',
    Entrypoint: entrypoint && entrypoint.length > 0 ? entrypoint : null,
    OnBuild: null,
    Labels: { ...(image.Labels ?? {}), ...(request.Labels ?? {}) },
    ...(request.StopSignal || image.StopSignal
      ? { StopSignal: request.StopSignal || image.StopSignal }
      : {}),
    ...(typeof request.StopTimeout === 'number' ? { StopTimeout: request.StopTimeout } : {}),
  };
}

/** Path and Args as inspect shows them; a container without a command cannot be created. */
export function commandLine(config: EffectiveConfig): { path: string; args: string[] } {
  const argv = [...(asList(config.Entrypoint) ?? []), ...(config.Cmd ?? [])];
  const [path, ...args] = argv;
  if (path === undefined || path === '') throw new InvalidArgumentError('No command specified');
  return { path, args };
}

const restartNames = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

export function validateRestartPolicy(
  policy: RestartPolicy | undefined,
  autoRemove: boolean,
): void {
  const name = policy?.Name ?? '';
  if (!restartNames.has(name)) throw new InvalidArgumentError(`invalid restart policy '${name}'`);
  const retries = policy?.MaximumRetryCount ?? 0;
  if (retries < 0) throw new InvalidArgumentError('maximum retry count cannot be negative');
  if (retries > 0 && name !== 'on-failure') {
    throw new InvalidArgumentError(
      `maximum retry count cannot be used with restart policy '${name}'`,
    );
  }
  if (autoRemove && name !== '' && name !== 'no') {
    throw new InvalidArgumentError("can't create 'AutoRemove' container with restart policy");
  }
}

/**
 * The runtime a container asks for: berthd has one, the one `/info` lists, and like dockerd it
 * refuses names it does not know rather than run the container with another runtime.
 */
export function knownRuntime(requested: string | undefined, runtimeName: string): string {
  if (requested && requested !== runtimeName) {
    throw new InvalidArgumentError(`unknown or invalid runtime name: ${requested}`);
  }
  return runtimeName;
}

/** Docker reports these defaults in inspect even when the client sent nothing. */
export function normalizeHostConfig(host: HostConfig | undefined): HostConfig {
  const value: HostConfig = { ...(host ?? {}) };
  value.NetworkMode =
    !value.NetworkMode || value.NetworkMode === 'default' ? 'bridge' : value.NetworkMode;
  value.RestartPolicy = {
    Name: value.RestartPolicy?.Name ?? 'no',
    MaximumRetryCount: value.RestartPolicy?.MaximumRetryCount ?? 0,
  };
  if (value.RestartPolicy.Name === '') value.RestartPolicy.Name = 'no';
  if (value.NetworkMode.startsWith('container:')) validateJoinedNetwork(value);
  validateLogConfig(value.LogConfig?.Type, value.LogConfig?.Config);
  value.LogConfig = { Type: 'k8s-file', Config: value.LogConfig?.Config ?? {} };
  value.ShmSize = value.ShmSize && value.ShmSize > 0 ? value.ShmSize : 64 * 1024 * 1024;
  value.Binds = value.Binds ?? null;
  value.CapAdd = value.CapAdd ?? null;
  value.CapDrop = value.CapDrop ?? null;
  value.Dns = value.Dns ?? [];
  value.DnsOptions = value.DnsOptions ?? [];
  value.DnsSearch = value.DnsSearch ?? [];
  value.ExtraHosts = value.ExtraHosts ?? null;
  value.PortBindings = value.PortBindings ?? {};
  value.Privileged = value.Privileged ?? false;
  value.ReadonlyRootfs = value.ReadonlyRootfs ?? false;
  value.AutoRemove = value.AutoRemove ?? false;
  value.Memory = value.Memory ?? 0;
  value.MemorySwap = value.MemorySwap ?? 0;
  value.NanoCpus = value.NanoCpus ?? 0;
  value.CpuShares = value.CpuShares ?? 0;
  value.CpuPeriod = value.CpuPeriod ?? 0;
  value.CpuQuota = value.CpuQuota ?? 0;
  value.CpusetCpus = value.CpusetCpus ?? '';
  value.CpusetMems = value.CpusetMems ?? '';
  value.PidsLimit = value.PidsLimit ?? null;
  value.IpcMode = value['IpcMode'] || 'private';
  value.PidMode = value['PidMode'] ?? '';
  value.UTSMode = value['UTSMode'] ?? '';
  return value;
}

/** A container:<id> joiner uses the other container's network as it is (dockerd's messages). */
function validateJoinedNetwork(host: HostConfig): void {
  const conflict = (what: string) =>
    new InvalidArgumentError(`conflicting options: ${what} and the container type network mode`);
  if (Object.keys(host.PortBindings ?? {}).length > 0 || host['PublishAllPorts'] === true) {
    throw conflict('port publishing');
  }
  if ((host.Dns ?? []).length > 0)
    throw new InvalidArgumentError('conflicting options: dns and the network mode');
  if ((host.ExtraHosts ?? []).length > 0) {
    throw new InvalidArgumentError(
      'conflicting options: custom host-to-IP mapping and the network mode',
    );
  }
}

/** --log-opt values are checked at create (dockerd only fails the start, with a 500). */
function validateLogConfig(type: string | undefined, config: Record<string, string> | undefined) {
  try {
    parseLogConfig(type, config);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
